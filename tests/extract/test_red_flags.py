"""Red flags: fault and doubt wording in English and German titles, and no false alarms."""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.extract import red_flags
from core.extract.red_flags import EFFECTS, RedFlag, find_red_flags
from core.extract.rules import extract_rules
from core.models import Condition

DEV_TITLES = Path(__file__).resolve().parent.parent / "data" / "titles-dev.jsonl"


def codes(title: str) -> list[str]:
    return [flag.code for flag in find_red_flags(title)]


# --- faults and doubt, as sellers write them ---------------------------------------------

FOR_PARTS_TITLES = [
    ('Seagate Exos X16 14TB SAS 3.5" HDD ST14000NM002G Reading Heads Are Loud', "noisy_heads"),
    ("WD Red 4TB WD40EFRX NAS Hard Drive Clicking For Parts", "noisy_heads"),
    ("HGST Ultrastar 8TB SATA HDD HUH728080ALE600 Bad Sectors", "bad_sectors"),
    ("Seagate 3TB HDD 48 Reallocated Sectors Read Desc", "bad_sectors"),
    ("Toshiba 6TB SAS HDD MG04SCA60EE SMART Warning Sold As Is", "smart_warning"),
    ("Samsung PM883 1.92TB SATA SSD MZ7LH1T9HMLT SMART Failed", "smart_warning"),
    ('HP 600GB 10K SAS 2.5" HDD EG0600FBVFP Predictive Failure', "smart_warning"),
    ("Dell PowerEdge R720 2x E5-2670 64GB No Power", "no_power"),
    ("HP Z440 Workstation Xeon E5-1620 v3 Won't Power On", "no_power"),
    ("HP Z440 Workstation Xeon E5-1620 v3 Won\u2019t Power On", "no_power"),
    ("Dell OptiPlex 7050 SFF i5-7500 Powers On No Post", "no_post"),
    ("Supermicro X10DRi-T Motherboard Will Not Boot", "no_post"),
    ("NVIDIA GeForce RTX 3080 10GB Founders Edition No Display For Parts", "no_display"),
    ("AMD Radeon RX 580 8GB GPU Artifacting Sold As Is", "artifacts"),
    ("NVIDIA Tesla P40 24GB GPU Error Code 43", "error"),
    ("Dell PowerEdge R630 Memory Error A1 Untested", "error"),
    ("Intel Xeon Gold 6148 SR3B6 CPU Cracked Die", "cracked"),
    ("AMD Ryzen 7 3700X CPU Bent Pins AS IS", "bent_pins"),
    ("Dell PowerEdge R740 Motherboard Dead", "dead"),
    ("EVGA RTX 3090 FTW3 24GB Dead Not Working", "not_working"),
    ("Intel X520-DA2 10GbE Dual Port SFP+ NIC Not Working", "not_working"),
    ("Lenovo ThinkStation P520 W-2135 Faulty PSU Spares Or Repairs", "defective"),
    ("Lenovo ThinkStation P520 W-2135 Faulty PSU Spares Or Repairs", "for_repair"),
    ("Samsung 32GB DDR4 2666 RDIMM M393A4K40CB2-CTD Tested Bad", "bad"),
    ("HP ProLiant DL380 Gen9 Burnt Smell For Parts", "burnt"),
    ("Dell PowerEdge R610 Broken Front Bezel Ears", "broken"),
    ("Kingston 16GB DDR4 2400 Failed Memtest", "failed"),
    ("NVIDIA Quadro P4000 8GB Overheating Needs Repair", "overheating"),
    ('HPE 1.2TB SAS 10K 2.5" HDD Damaged Connector', "damaged"),
    ("Samsung M393A2K43BB1-CTD 16GB DDR4 2666 Server RAM For Parts Not Working", "parts_only"),
    # Verbatim eBay titles (tests/data/titles-real.jsonl).
    ("LOT OF 12 SK Hynix 64GB DDR5 ECC RDIMM Server Ram - DAMAGED/AS-IS", "damaged"),
    ("LOT OF 10 - SK hynix 16GB DDR4 cracked", "cracked"),
    (
        'Seagate EXOS 2.5" SAS 2.4TB 10E2400 *Reading Heads Are Loud*  100% Health & Perf',
        "noisy_heads",
    ),
    ("NONFUNCTIONAL - BX8071514900K CoreTM i914900K Gaming Desktop Processor", "not_working"),
    ("ZOTAC GeForce RTX 3090 Trinity OC 24GB Graphics Card NO DISPLAY", "no_display"),
    ("Gigabyte GeForce RTX 3090 VISION OC 24GB - No Display Output", "no_display"),
    ("ASUS TUF Gaming OC GeForce RTX 4080 Super 16GB - GPU - Non-Functional Device", "not_working"),
    ("MSI GeForce RTX 3090 SUPRIM X 24G Graphics Card Only *PARTS OR REPAIR*", "for_repair"),
    ("NVIDIA GeForce RTX 3080 Graphics Card - VRAM Issue / Parts or Repair", "for_repair"),
    ("Seagate Exos 16TB SATA Festplatte Lesekopf klackert defekt", "noisy_heads"),
    ("Seagate Exos 16TB SATA Festplatte Lesekopf klackert defekt", "defective"),
    ("WD Ultrastar 10TB Festplatte macht laute Geräusche Bastler", "noisy_heads"),
    ("Dell PowerEdge R730 Server 2x E5-2660 v3 startet nicht", "no_post"),
    ("Fujitsu Esprimo Q957 Mini PC i5-7500T geht nicht an", "no_power"),
    ("NVIDIA Quadro RTX 4000 8GB Grafikkarte kein Bild", "no_display"),
    ("Samsung 970 EVO Plus 1TB NVMe SSD ohne Funktion", "not_working"),
    ("Intel Xeon E5-2690 v4 CPU keine Funktion für Bastler", "not_working"),
    ("Intel Xeon E5-2690 v4 CPU keine Funktion für Bastler", "parts_only"),
    ("HP ProLiant DL360 Gen10 Server Bastlerware", "parts_only"),
    ("Toshiba MG04ACA400E 4TB HDD SMART Fehler", "smart_warning"),
    ("Seagate 2TB HDD S.M.A.R.T. Warnung", "smart_warning"),
    ("Seagate BarraCuda 8TB Festplatte Lesefehler", "error"),
    ("Samsung 64GB DDR4 RDIMM Fehler im Speichertest", "error"),
    ("Dell PowerEdge R730 iDRAC Fehlermeldung PSU", "error"),
    ("Intel Core i7-8700K Prozessor Pins verbogen", "bent_pins"),
    ("ASUS RTX 2080 Ti Grafikkarte PCB gebrochen", "broken"),
    ("Dell Precision T5810 Workstation Gehäuse mit Riss", "cracked"),
    ("Fujitsu Primergy RX2540 M4 Mainboard Sockel gerissen", "cracked"),
    ("Kingston 8GB DDR4 Arbeitsspeicher defekt", "defective"),
    ("Nvidia GTX 1080 Ti Lüfter defekt", "defective"),
    ("Gigabyte RTX 3070 Gaming OC Grafikkarte Artefakte", "artifacts"),
    ("HP Z840 Workstation funktioniert nicht", "not_working"),
    ("Dell PowerEdge R640 Server überhitzt", "overheating"),
]

VETO_TITLES = [
    ("Seagate IronWolf 10TB NAS HDD Untested", "untested"),
    ("Cisco UCS C220 M4 2x E5-2680 v3 Not Tested", "untested"),
    ("Job Lot 10x Intel Xeon E5-2650 v2 CPUs Unable To Test", "untested"),
    ("Dell PowerEdge R730xd 12LFF Server No HDD Sold As Is", "as_is"),
    ("Dell PowerEdge R720 2x E5-2650 v2 AS-IS", "as_is"),
    ("HP Z4 G4 Workstation Xeon W-2123 Sold As Seen", "sold_as_seen"),
    ("Dell Precision 5820 W-2145 32GB Please Read Description", "read_description"),
    ("HP EliteDesk 800 G4 Mini i5-8500 BIOS Password Read Description", "read_description"),
    ("Lenovo ThinkCentre M720q Tiny i5-8500T BIOS Locked", "bios_locked"),
    ("HP EliteDesk 800 G4 Mini i5-8500 BIOS Password Read Description", "bios_locked"),
    ("Apple Mac Pro 2019 16-Core Xeon W 96GB Activation Locked", "activation_locked"),
    ("Mellanox ConnectX-3 40GbE QSFP+ NIC Vendor Locked", "locked"),
    ("AMD EPYC 7742 64-Core SP3 vendor locked to Dell (PSB)", "locked"),
    ("Intel Xeon Platinum 8280 QS ES QQ89 28C 2.7GHz engineering sample", "engineering_sample"),
    ("Intel Xeon Gold 6148 ES/QS 20 core LGA3647", "engineering_sample"),
    ("Intel Xeon W-3175X Qualification Sample QS CPU", "engineering_sample"),
    ("Dell PowerEdge R720 Server Noisy Fans Untested", "noisy"),
    ("WD Red 6TB NAS Festplatte ungetestet", "untested"),
    ("Dell PowerEdge T330 Server nicht getestet ohne Gewähr", "untested"),
    ("Dell PowerEdge T330 Server nicht getestet ohne Gewähr", "no_warranty"),
    ("Lenovo ThinkCentre M920q Tiny i5-8500T BIOS Passwort", "bios_locked"),
    ("HP EliteDesk 800 G3 Mini BIOS gesperrt", "bios_locked"),
    ("Fujitsu Esprimo D757 i5-7500 gesperrt", "locked"),
    ('Supermicro 2HE Server 12x 3,5" siehe Beschreibung', "read_description"),
    ("Dell PowerEdge R620 Server bitte lesen", "read_description"),
    ("Intel Xeon Silver 4110 CPU Beschreibung lesen!", "read_description"),
    ("HP ProLiant DL380p Gen8 Konvolut wie abgebildet", "sold_as_seen"),
]


@pytest.mark.parametrize(("title", "code"), FOR_PARTS_TITLES)
def test_faults_are_for_parts(title: str, code: str) -> None:
    flags = {flag.code: flag for flag in find_red_flags(title)}
    assert code in flags
    assert flags[code].effect == "for_parts"


@pytest.mark.parametrize(("title", "code"), VETO_TITLES)
def test_doubt_is_a_veto(title: str, code: str) -> None:
    flags = {flag.code: flag for flag in find_red_flags(title)}
    assert code in flags
    assert flags[code].effect == "veto"


def test_flags_come_in_title_order_with_the_words_as_written() -> None:
    assert find_red_flags("Toshiba 6TB SAS HDD SMART Warning - Sold AS-IS, Untested") == (
        RedFlag("smart_warning", "SMART Warning", "for_parts"),
        RedFlag("as_is", "AS-IS", "veto"),
        RedFlag("untested", "Untested", "veto"),
    )


def test_a_code_is_reported_once() -> None:
    assert codes("Dell R730 Dead PSU, Dead Board, dead fans") == ["dead"]


def test_overlapping_wording_is_one_flag() -> None:
    assert codes("Toshiba 4TB HDD SMART Fehler") == ["smart_warning"]
    assert codes("HDD defekte Sektoren") == ["bad_sectors"]
    assert codes("Fujitsu Q957 geht nicht an") == ["no_power"]
    assert codes("EPYC 7302 damaged pins") == ["bent_pins"]


def test_whitespace_and_typographic_marks_do_not_hide_a_flag() -> None:
    assert codes("Dell R720   No\tPower") == ["no_power"]
    assert codes("Dell R720 sold as\u2013is") == ["as_is"]
    assert find_red_flags("Dell R720  AS   IS")[0].phrase == "AS IS"


def test_every_code_has_an_effect() -> None:
    assert set(EFFECTS.values()) == {"for_parts", "veto"}
    seen = {code for _, code in FOR_PARTS_TITLES + VETO_TITLES}
    assert seen == set(EFFECTS)  # every code is exercised by a real-wording title


# --- ordinary wording is no flag -----------------------------------------------------------

ORDINARY_TITLES = [
    "Intel Xeon Gold 6130 SR3B9 16 Core CPU Tested Working",
    "AMD EPYC 7742 64-Core 2.25GHz SP3 100-000000053 not vendor locked",
    "AMD EPYC 7551P 32 Kerne 2,0 GHz SP3 Prozessor unlocked",
    "Intel Xeon Silver 4214 12-Core Retail Box (not ES/QS)",
    "HPE ProLiant DL380 Gen10 Essential Server",
    'HGST Ultrastar 4TB SAS 3.5" HDD Fully Tested',
    "Seagate Constellation 2TB SATA HDD Tested & Wiped",
    "Samsung 16GB DDR4 2400 ECC REG RDIMM 100% Tested",
    "WD Gold 8TB SATA HDD Tested No Errors",
    "HGST 10TB SATA HDD HUH721010ALE600 0 Bad Sectors",
    "Seagate Exos 12TB SAS HDD No Bad Sectors Health 100%",
    "Seagate Exos 18TB SAS HDD Zero Bad Sectors",
    "HGST 4TB HDD Reallocated Sectors 0",
    "Samsung PM1643 3.84TB SAS SSD SMART OK",
    "Intel D3-S4510 960GB SATA SSD SMART Passed",
    "HPE 1.2TB 10K SAS HDD Tested Health Good SMART Status OK",
    "Micron 32GB DDR4 2933 ECC Error Correcting Server RAM",
    "Kingston 16GB DDR4 2666 Registered Error Correction Code",
    "WD Red 4TB HDD Tested Error Free",
    "Dell PowerEdge R640 No Errors No Warnings",
    'Dell UltraSharp U2419H 24" Monitor No Dead Pixels',
    "Intel Core i9-9900K 8 Core 3.6GHz Unlocked CPU",
    "Intel Core i7-8700K K Unlocked LGA1151",
    "Intel Core i5-9400 Multiplier Locked CPU",
    "Dell Latitude 5400 Not Locked",
    "HPE DL360 Gen10 Rail Kit Locking Latch",
    "Dell PowerEdge Front Bezel with Badge",
    "Dell PowerEdge R730 Server Abholung in Bad Homburg",
    "Padded Anti-Static GPU Shipping Box",
    "Samsung 870 EVO 1TB SSD Tracked Shipping",
    "Dell PowerEdge R630 Barebone No HDD No Caddies No OS",
    "Dell R740 Server, no HDD, no caddies",
    "HPE ProLiant DL380 Gen10 ohne HDD ohne Festplatte",
    "Fujitsu Server ohne Festplatten ohne Betriebssystem",
    "Lenovo ThinkCentre M920q Tiny ohne Netzteil",
    "Dell PowerEdge R730 No Power Supply No Rails",
    "HP Z440 Workstation No Power Cord",
    "Lenovo ThinkStation P520 W-2135 No Video Card",
    "Intel Xeon E-2224 CPU 4 Core Low Power",
    "Kingston 32GB DDR4 ECC RAM fehlerfrei getestet",
    "Seagate 4TB Festplatte ohne Fehler voll funktionsfähig",
    "Dell PowerEdge R740 Server 2x Gold 6130 getestet",
    "Samsung 16GB DDR4 ECC Fehlerkorrektur",
    "Kingston 8GB DDR4 keine Defekte",
    "Seagate IronWolf 8TB Festplatte leise keine lauten Geräusche",
    "Intel Xeon E5-2690 v4 Uncracked IHS",  # "uncracked" is not "cracked"
    "Mellanox ConnectX-4 Dual Port NIC Ports As Isolated VLANs",
    "Quad Port NIC For Servers Such As Is R730",
    "HPE Smart Array P440ar 2GB RAID Controller",
    "HPE 32GB Smart Memory Kit 815100-B21",
    "HPE 960GB SATA Read Intensive SFF SSD",
    "Micron 7300 PRO 3.84TB NVMe SSD Power Failure Protection",
    "Intel X540-T2 10GbE NIC Teaming Failover",
    "Intel Xeon E5-2690 v4 CPU No Bent Pins",
    "AMD EPYC 7302 16 Core CPU No Bent Or Missing Pins",
    "Supermicro 1U Server Burn-In Tested 24h",
    "Samsung 980 PRO 2TB Brand New Sealed Damaged Box",
    "NVIDIA RTX 3090 24GB No Artifacts Tested",
    "HP EliteDesk 800 G5 Mini No BIOS Password",
    "Dell OptiPlex 7060 BIOS Password Removed",
    "Dell PowerEdge R720 Server Powers On Tests Fine",
    "New Old Stock Dead Stock Kingston 8GB DDR3",
    "HPE ProLiant Gen10 Drive Will Not Work With Gen8",
]


@pytest.mark.parametrize("title", ORDINARY_TITLES)
def test_ordinary_wording_is_no_flag(title: str) -> None:
    assert find_red_flags(title) == ()


REAL_TITLES = DEV_TITLES.with_name("titles-real.jsonl")


def test_real_titles_agree_with_their_condition_labels() -> None:
    rows = [json.loads(line) for line in REAL_TITLES.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        label = row["expected"].get("condition")
        faults = [flag for flag in find_red_flags(row["title"]) if flag.effect == "for_parts"]
        if label == "for_parts":
            assert faults, row["title"]
        elif label is not None:
            assert not faults, row["title"]


def test_dev_titles_are_flagged_only_where_labelled_for_parts() -> None:
    rows = [json.loads(line) for line in DEV_TITLES.read_text(encoding="utf-8").splitlines()]
    flagged = {row["title"] for row in rows if find_red_flags(row["title"])}
    for_parts = {row["title"] for row in rows if row["expected"].get("condition") == "for_parts"}
    assert flagged == for_parts
    assert len(flagged) >= 5


# --- the condition agrees ------------------------------------------------------------------


@pytest.mark.parametrize(("title", "code"), FOR_PARTS_TITLES)
def test_a_fault_makes_the_condition_for_parts(title: str, code: str) -> None:
    del code
    assert extract_rules(title).condition is Condition.FOR_PARTS


@pytest.mark.parametrize(("title", "code"), VETO_TITLES)
def test_doubt_alone_leaves_the_condition(title: str, code: str) -> None:
    del code
    if all(flag.effect == "veto" for flag in find_red_flags(title)):
        assert extract_rules(title).condition is not Condition.FOR_PARTS


@pytest.mark.parametrize("title", ORDINARY_TITLES)
def test_ordinary_wording_is_not_for_parts(title: str) -> None:
    assert extract_rules(title).condition is not Condition.FOR_PARTS


# --- any text ------------------------------------------------------------------------------

WORDS = st.sampled_from(
    ["no", "not", "0", "ohne", "keine", "bad", "sectors", "smart", "error", "errors", "free",
     "as", "is", "such", "for", "parts", "dead", "power", "supply", "post", "boot", "locked",
     "bios", "password", "removed", "defekt", "Fehler", "startet", "nicht", "geht", "an",
     "Kopf", "klackert", "box", "damaged", "cracked", "read", "description", "-", ",", "|",
     "/", "&", "Bad", "Homburg", "İ", "ß", "\u2019", "\t", "!!", "tested", "untested"]
)  # fmt: skip
TEXT = st.one_of(st.text(max_size=2000), st.lists(WORDS, max_size=60).map(" ".join))


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_any_text_gives_well_formed_flags(title: str) -> None:
    flags = find_red_flags(title)
    assert isinstance(flags, tuple)
    assert all(isinstance(flag, RedFlag) for flag in flags)
    assert len({flag.code for flag in flags}) == len(flags)
    for flag in flags:
        assert flag.effect == EFFECTS[flag.code]
        assert flag.phrase.strip()


@settings(max_examples=200, deadline=None)
@given(st.lists(WORDS, max_size=40).map(" ".join))
def test_case_does_not_matter(title: str) -> None:
    ascii_title = title.encode("ascii", "ignore").decode()
    assert codes(ascii_title) == codes(ascii_title.upper())


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_gates_only_skip_work(title: str) -> None:
    every_rule = (("", frozenset(range(len(red_flags._RULES)))),)
    with mock.patch.object(red_flags, "_NEEDLES", every_rule):
        ungated = find_red_flags(title)
    assert find_red_flags(title) == ungated


def test_gates_only_skip_work_on_real_wording() -> None:
    titles = [title for title, _ in FOR_PARTS_TITLES + VETO_TITLES] + ORDINARY_TITLES
    gated = [find_red_flags(title) for title in titles]
    every_rule = (("", frozenset(range(len(red_flags._RULES)))),)
    with mock.patch.object(red_flags, "_NEEDLES", every_rule):
        assert [find_red_flags(title) for title in titles] == gated


def test_long_hostile_text_is_handled() -> None:
    title = ("no bad " * 5000) + "| defekt " + ("x" * 100_000) + " as is"
    assert codes(title) == ["defective", "as_is"]
