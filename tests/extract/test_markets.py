"""Markets the product key splits (issue 15): RAM module kinds, Optane drives, and titles
that name nothing, which the rules must never be sure of."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from core.extract.normalise import key_for, normalise
from core.extract.rules import extract_rules
from core.extract.service import Extractor
from core.models import ComponentType
from core.resilience import breaker_factory
from core.settings import load_settings, parse_cli_overrides
from tests.fakes.llm import answer
from tests.fakes.ollama import FakeOllama

THRESHOLD = load_settings(None, None, {}).settings.extract.confidence_threshold


def key(title: str) -> str | None:
    return key_for(normalise(extract_rules(title)))


# --- RAM module kinds -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "module"),
    [
        # words
        ("Samsung 32GB DDR4 2666 ECC RDIMM Server Memory", "RDIMM"),
        ("Dell 32GB DDR4 2933 Registered ECC Server RAM", "RDIMM"),
        ("Hynix 16GB DDR4-2400 ECC REG", "RDIMM"),
        ("Samsung 128GB DDR4 2933 3DS RDIMM 4DRx4 Server Memory", "RDIMM"),
        ("SK hynix 64GB DDR4-2400T ECC LRDIMM Server Memory", "LRDIMM"),
        ("Samsung 64GB DDR4 2666MHz Load Reduced ECC Server RAM", "LRDIMM"),
        ("Micron 32GB DDR4 3200 ECC UDIMM 2Rx8 Workstation RAM", "UDIMM"),
        ("Kingston 16GB DDR4 2666 ECC Unbuffered Server Memory", "UDIMM"),
        ("Corsair Vengeance LPX 32GB (2x16GB) DDR4 3600MHz Desktop Memory", "UDIMM"),
        ("Crucial 16GB DDR4 3200MHz Non-ECC Memory", "UDIMM"),
        ("Crucial 32GB DDR4 SODIMM Laptop Memory", "SODIMM"),
        ("SK Hynix 16GB PC4-3200AA SO-DIMM DDR4 HMA82GS6DJR8N-XN", "SODIMM"),
        ("Kingston FURY Impact 16GB DDR4 3200MHz CL20", "SODIMM"),
        ("16GB DDR3L 1600 Notebook RAM", "SODIMM"),
        ("Samsung 16GB DDR4 2666 ECC SO DIMM", "SODIMM"),
        # the letter after a PC code, as copied off the label
        ("Hynix 32GB 2Rx4 PC4-2400T-RB1-11 DDR4", "RDIMM"),
        ("Samsung 64GB 4DRx4 PC4-2666V-LD2-12 DDR4", "LRDIMM"),
        ("Micron 16GB 2Rx8 PC4-2666V-EE2 DDR4", "UDIMM"),
        ("Kingston 8GB 1Rx8 PC4-2666V-UA2-11 DDR4", "UDIMM"),
        ("Crucial 8GB 1Rx8 PC4-2400T-SA1-11 DDR4", "SODIMM"),
        ("8GB 2Rx8 PC3-12800U DDR3", "UDIMM"),
        ("16GB 2Rx4 PC3L-12800R DDR3L", "RDIMM"),
        ("32GB 4Rx4 PC3L-10600L DDR3", "LRDIMM"),
        ("DDR5 32GB 1Rx4 PC5-4800B-RC0-1010-XT Server Memory", "RDIMM"),
        # vendor part numbers
        ("Samsung 32GB DDR4 M393A4K40DB3-CWE", "RDIMM"),
        ("Samsung 64GB DDR4 M386A8K40BM2-CTD", "LRDIMM"),
        ("Samsung 16GB DDR4 M391A2K43BB1-CTD", "UDIMM"),
        ("Samsung 8GB DDR4 M471A1K43CB1-CRC", "SODIMM"),
        ("Micron 64GB DDR4 MTA72ASS8G72LZ-2G6", "LRDIMM"),
        ("Micron 16GB DDR4 MTA18ASF2G72PDZ-2G3", "RDIMM"),
        ("SK Hynix 32GB DDR4 HMA84GL7AMR4N-UH", "LRDIMM"),
        ("Kingston KSM26RD4/32HDI 32GB DDR4 2666", "RDIMM"),
        ("Kingston KVR16LR11D4/16 16GB DDR3L 1600", "RDIMM"),
        ("Supermicro MEM-DR464L-SL01-LR26 64GB DDR4 2666", "LRDIMM"),
        ("Cisco UCS-MR-X32G2RS-H 32GB DDR4 2666", "RDIMM"),
        ("Cisco UCS-ML-X64G4RS-H 64GB DDR4 2666", "LRDIMM"),
    ],
)
def test_module_kind_from_real_wording(title: str, module: str) -> None:
    result = extract_rules(title)
    assert result.component_type is ComponentType.RAM
    assert result.attributes["module"] == module
    assert result.attributes["registered"] is (module in ("RDIMM", "LRDIMM"))


def test_rdimm_and_lrdimm_imply_ecc() -> None:
    for title in ("Samsung 64GB DDR4 2666 LRDIMM", "32GB DDR4 2666 RDIMM"):
        assert extract_rules(title).attributes["ecc"] is True


def test_a_title_that_names_no_module_kind_leaves_it_absent() -> None:
    for title in ("Samsung 32GB PC4-23400 DDR4 Server RAM", "Samsung 1x8GB DDR4 2666 DIMM",
                  "2GB DDR2 PC2-5300F FB-DIMM Fully Buffered Server Memory"):  # fmt: skip
        assert "module" not in extract_rules(title).attributes, title


def test_the_label_code_wins_over_a_contradicting_word_with_doubt() -> None:
    plain = extract_rules("Samsung 64GB DDR4 2666 4DRx4 PC4-2666V-L LRDIMM")
    mixed = extract_rules("Samsung 64GB DDR4 2666 4DRx4 PC4-2666V-L RDIMM")
    assert mixed.attributes["module"] == "LRDIMM"
    assert mixed.confidence < plain.confidence


def test_two_module_words_leave_the_kind_in_doubt() -> None:
    result = extract_rules("Samsung 32GB DDR4 2666 ECC RDIMM LRDIMM")
    assert "module" not in result.attributes
    assert result.attributes["registered"] is True


def test_module_kinds_are_different_product_keys() -> None:
    keys = {
        key("Samsung 64GB DDR4 2666 ECC RDIMM M393A8G40MB2-CTD"),
        key("Samsung 64GB DDR4 2666 ECC LRDIMM M386A8K40BM2-CTD"),
        key("Kingston 16GB DDR4 2666 ECC UDIMM KSM26ED8/16ME"),
        key("Kingston 16GB DDR4 2666 ECC SODIMM KSM26SED8/16ME"),
        key("Kingston 16GB DDR4 2666 Non-ECC Desktop RAM"),
        key("Kingston 16GB DDR4 2666 Laptop RAM"),
    }
    assert keys == {
        "ram:ddr4:rdimm:ecc_reg:64gb:2666",
        "ram:ddr4:lrdimm:ecc_reg:64gb:2666",
        "ram:ddr4:udimm:ecc_unbuf:16gb:2666",
        "ram:ddr4:sodimm:ecc_unbuf:16gb:2666",
        "ram:ddr4:udimm:non_ecc:16gb:2666",
        "ram:ddr4:sodimm:non_ecc:16gb:2666",
    }
    assert key("Samsung 32GB PC4-23400 DDR4 Server RAM") == "ram:ddr4:unknown:unknown:32gb:2933"


# --- Optane -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Intel Optane SSD DC P4800X 375GB U.2 NVMe SSDPE21K375GA", "drive:nvme:2.5:375gb:xpoint"),
        ("Intel Optane P5800X 800GB U.2 PCIe Gen4", "drive:nvme:2.5:800gb:xpoint"),
        ("Intel SSDPE21K750GA 750GB U.2 2.5in", "drive:nvme:2.5:750gb:xpoint"),
        ("Intel Optane SSD 905P 960GB U.2 SSDPE21D960GA", "drive:nvme:2.5:960gb:xpoint"),
        ("Intel Optane P1600X 118GB M.2 2280 SSDPEK1A118GA", "drive:nvme:m.2:118gb:xpoint"),
        ("Intel 3D XPoint 280GB 900P PCIe NVMe AIC", "drive:nvme:unknown:280gb:xpoint"),
        # NAND drives, including Optane Memory H10 (QLC NAND with an Optane cache)
        ("Intel DC P4510 1TB U.2 NVMe SSDPE2KX010T8", "drive:nvme:2.5:1000gb:ssd"),
        ("Intel DC P3700 800GB U.2 NVMe SSDPE2MD800G4", "drive:nvme:2.5:800gb:ssd"),
        ("Intel Optane Memory H10 512GB M.2 NVMe SSD", "drive:nvme:m.2:512gb:ssd"),
    ],
)
def test_optane_drives_are_their_own_market(title: str, expected: str) -> None:
    result = normalise(extract_rules(title))
    assert result.component_type is ComponentType.DRIVE
    assert key_for(result) == expected
    assert result.attributes["media"] == "SSD"  # DOMAIN.md's media is unchanged
    if expected.endswith("xpoint"):
        assert result.attributes["technology"] == "3D XPoint"
    else:
        assert "technology" not in result.attributes


# --- titles naming nothing --------------------------------------------------------------


NOTHING = ["", "   ", "Lot of misc stuff", "Server parts", "Box of stuff", "Lot of 10", "Dell",
           "HPE", "Supermicro", "Lenovo", "Samsung", "Kingston", "Cisco", "asdf qwerty", "NEW",
           "Estate sale electronics lot"]  # fmt: skip


@pytest.mark.parametrize("title", NOTHING)
def test_a_title_naming_nothing_is_never_confident(title: str) -> None:
    result = extract_rules(title)
    assert result.confidence <= 0.1 < THRESHOLD
    assert result.attributes == {}


@pytest.mark.parametrize("category", ["170083", "175669", "11211", "164", "1244", "179"])
def test_a_category_hint_alone_is_not_enough_either(category: str) -> None:
    for title in ("", "Lot of misc stuff"):
        assert extract_rules(title, category_ids=(category,)).confidence <= 0.1, title
    # a bare brand in a category is a little more, never enough
    assert extract_rules("Dell", category_ids=(category,)).confidence < THRESHOLD


def test_item_specifics_can_still_make_an_empty_title_readable() -> None:
    result = extract_rules(
        "Lot", category_ids=("170083",),
        item_specifics={"Capacity per Module": "32 GB", "Type": "DDR4 RDIMM",
                        "Speed": "PC4-21300 (DDR4-2666)", "Error Correction": "Yes"},
    )  # fmt: skip
    assert result.component_type is ComponentType.RAM
    assert result.attributes["module"] == "RDIMM"
    assert result.confidence > 0.1


def test_named_junk_lots_stay_confident_other() -> None:
    # DOMAIN.md: "for parts" boxes of mixed junk are `other`; saying so is recognisable.
    for title in ("Mixed lot of computer parts", "Box of Server Parts Fans Caddies Cables"):
        result = extract_rules(title)
        assert result.component_type is ComponentType.OTHER
        assert result.confidence >= THRESHOLD, title


@pytest.fixture
async def ollama() -> AsyncIterator[FakeOllama]:
    fake = FakeOllama()
    await fake.start()
    yield fake
    await fake.stop()


async def test_auto_asks_the_llm_about_titles_naming_nothing(ollama: FakeOllama) -> None:
    overrides = parse_cli_overrides(
        ["extract.backend=auto", "llm.backend=ollama", f"llm.ollama_url={ollama.base_url}"]
    )
    settings = load_settings(None, overrides, {}).settings
    ollama.script(
        answer({"component_type": "other", "confidence": 0.6}),
        answer({"component_type": "ram", "confidence": 0.9, "generation": "DDR4",
                "capacity_gb": 64, "speed_mhz": 2666, "module": "LRDIMM"}),
    )  # fmt: skip
    async with aiohttp.ClientSession() as session:
        extractor = Extractor(lambda: settings, session, breaker_factory())
        try:
            nothing = await extractor.extract("Lot of misc stuff")
            vague = await extractor.extract("Samsung 64GB memory")
        finally:
            await extractor.close()
    assert (nothing.method, nothing.llm_calls, nothing.low_confidence) == ("llm", 1, True)
    assert vague.method == "llm"
    assert vague.product_key == "ram:ddr4:lrdimm:ecc_reg:64gb:2666"
    assert vague.extraction.attributes["registered"] is True
