"""Drives: interface, form factor, capacity (decimal GB as sold), media, spindle speed, and
the technology where it makes a different market (Optane, 3D XPoint)."""

from __future__ import annotations

import re

from core.extract.rules.parsed import Parsed
from core.extract.rules.text import Title, has
from core.extract.rules.units import capacities

_MEDIA_WORD = re.compile(
    r"\b(?:ssds?|hdds?|hard\s?drives?|hard\s?disks?|festplatten?|solid[- ]state|sshd|"
    r"disk\s?drives?|data\s?center\s+drive|enterprise\s+drive|nearline)\b"
)
_SSD = re.compile(r"\b(?:ssds?|solid[- ]state|nvme|u\.?[23]|flash|optane)\b")
_HDD = re.compile(
    r"\b(?:hdds?|hard\s?drives?|hard\s?disks?|sshd|nearline|nl-?sas|helium|spinning|"
    r"disk\s?drives?)\b"
)
_FESTPLATTE = re.compile(r"\bfestplatten?\b")
_NVME = re.compile(r"\b(?:nvme|u\.?[23])\b")
_SAS = re.compile(r"\b(?:nl-?)?sas(?:[23]|-[23]|12)?\b")
_SATA = re.compile(r"\bm?sata(?:\s?(?:iii|ii|3|6g)|-?3)?\b")
_TWELVE_GIG = re.compile(r"\b12\s?g(?:b/s|bps|b)?\b")
_FORM = re.compile(
    r"(?<![\d.])(2\.5|3\.5)(?:\"|\s?(?:in|inch)\b)?(?![\d.])"
    r"(?!\s?(?:ghz|gb|tb|mm|m\b|w\b|kg|k\b|x\b|\"?\s?(?:bays?|drive\s+bays?)\b))"
    r"|\b(sff|lff|m\.?2|ngff|u\.?[23])\b"
)
_FORM_OTHER = re.compile(r"\b(?:to|in|into|auf|für|for)\s+$")
_RPM = re.compile(
    r"\b(5\.4|5\.9|7\.2|10|15)\s?k(?:\s?rpm)?\b|\b(5400|5900|7200|10000|10025|15000)\s?(?:rpm|u/min)?\b"
)
_RPM_WORD = re.compile(r"\b(\d{4,5})\s?(?:rpm|u/min)\b")
_HDD_LINE = re.compile(
    r"\b(?:exos|ironwolf|barracuda|skyhawk|constellation|cheetah|savvio|"
    r"ultrastar\s+(?:dc\s+)?h[ce]\d+|ultrastar\s+7k\d+|hu[hs]72\d\w*|hu[sc]1\d\w*|wu[hs]72\d\w*|"
    r"st\d{3,5}(?:nm|mm|dm|vn|ne|vx|as)\d\w*|mg0\d\w*|al1\d[sd]\w*|"
    r"wd\s+(?:red|gold|purple|blue|black)(?!\s+(?:sn|sa)\d)|wd\d{2,3}[a-z]{4})\b"
)
_SSD_LINE = re.compile(
    r"\b(?:pm\d{3,4}a?|sm\d{3,4}|\d{3}\s+(?:evo|pro|qvo)(?:\s+plus)?|mx500|bx500|sa400|a400|"
    r"nytro|optane|ssdsc\w+|ssdpe\w+|mtfd\w+|mz[-\w]{6,}|sn\d{3}|s3[5-7]\d0|s4[56]\d0|"
    r"p4[56]\d0|p5[56]\d0|d3-s\d{4}|dc\s?s\d{4}|dc\d{3}[a-z]?|micron\s+\d{4}\s+(?:pro|max|eco))\b"
)
_LINE = re.compile(_HDD_LINE.pattern + "|" + _SSD_LINE.pattern)
# Optane (3D XPoint) drives by name, product line or Intel part number: P4800X/P4801X,
# P5800X, P1600X, 900P/905P, Optane Memory M10 (MEMPEK1..). Optane Memory H10/H20 are QLC
# NAND drives with an Optane cache and trade as NAND; "Optane ready" boards are no drives.
_XPOINT = re.compile(
    r"\b(?:optane|3d\s?xpoint|xpoint|p480[01]x|p5800x|p1600x|90[05]p|ssdpe2[01][dk]\w*|"
    r"ssdped1[dk]\w*|ssdpel1[dk]\w*|ssdpf2[01]q\w*|ssdpek1a\w*|mempek1\w*)\b"
)
_NOT_XPOINT = re.compile(
    r"\bh[12]0\b|\boptane\s+(?:ready|support(?:ed)?|compatible|capable)\b|"
    r"\bnot\s+optane\b|\bnon[- ]optane\b|\bpersistent\s+memory\b|\bdcpmm\b|\bpmem\b"
)
_NOT_DRIVE_SIZE = re.compile(r"^\s?(?:cache|ram|memory|ddr\d|buffer|dram)\b")

_MEDIA_GATE = ("ssd", "hdd", "hard", "disk", "festplatte", "solid", "sshd", "drive", "nearline")
_SLOT_GATE = ("nvme", "u.2", "u.3", "u2", "u3", "m.2")
_M2 = re.compile(r"\bm\.2\b")
_FORM_CANON = {"sff": "2.5", "lff": "3.5", "m2": "M.2", "ngff": "M.2"}


def evidence(title: Title) -> float:
    """How strongly the title reads as a drive listing."""
    text = title.text
    score = 0.0
    if has(text, _MEDIA_GATE) and _MEDIA_WORD.search(text):
        score += 3.0
    if has(text, _SLOT_GATE) and (_NVME.search(text) or _M2.search(text)):
        score += 2.0
    if "sa" in text and (_SAS.search(text) or _SATA.search(text)):
        score += 1.0
    if _RPM.search(text):
        score += 2.0
    if any(c.gb >= 100 for c in capacities(text)):
        score += 1.0  # drive-sized: GB in the hundreds or TB
    if score and _FORM.search(text):
        score += 0.5
    if _LINE.search(text):
        score += 2.0
    return score


def parse(title: Title) -> Parsed:
    """Interface, form factor, capacity, media and rpm from a drive title."""
    text = title.text
    parsed = Parsed(expected=("interface", "form_factor", "capacity_gb", "media"))
    attrs = parsed.attributes
    _capacity(text, parsed)
    interface = _interface(text, parsed)
    if interface:
        attrs["interface"] = interface
    form = _form_factor(text, parsed)
    if form:
        attrs["form_factor"] = form
    rpm = _rpm(text)
    media = _media(text, rpm)
    if media:
        attrs["media"] = media
    if rpm and media != "SSD":
        attrs["rpm"] = rpm
        attrs.setdefault("media", "HDD")
    if attrs.get("media") == "HDD":
        parsed.expected = (*parsed.expected, "rpm")
    if attrs.get("media") != "HDD" and _xpoint(text):
        attrs["technology"] = "3D XPoint"
        attrs.setdefault("media", "SSD")
        attrs.setdefault("interface", "NVMe")  # every Optane drive is NVMe
    if form is None and re.search(r"\b(?:hhhl|aic|add-in|pcie\s+card|fhhl)\b", text):
        parsed.expected = tuple(f for f in parsed.expected if f != "form_factor")
    return parsed


def _xpoint(text: str) -> bool:
    """Whether the title names an Optane (3D XPoint) drive."""
    return bool(_XPOINT.search(text)) and not _NOT_XPOINT.search(text)


def _capacity(text: str, parsed: Parsed) -> None:
    found = [
        c
        for c in capacities(text)
        # "12Gb" in a drive title is the SAS link speed; no drive is sold as 12 GB.
        if 8 <= c.gb <= 200_000 and c.gb != 12 and not _NOT_DRIVE_SIZE.match(text[c.end :])
    ]
    if not found:
        return
    first = found[0]
    parsed.attributes["capacity_gb"] = first.gb
    parsed.units = first.count
    if len({c.gb for c in found}) > 1:
        parsed.doubts += 1


def _interface(text: str, parsed: Parsed) -> str | None:
    if _NVME.search(text):
        return "NVMe"
    sas, sata = _SAS.search(text), _SATA.search(text)
    if sas and sata:
        parsed.doubts += 1
        return "SAS" if sas.start() < sata.start() else "SATA"
    if sas:
        return "SAS"
    if sata:
        return "SATA"
    if _TWELVE_GIG.search(text):  # 12Gb/s links exist only on SAS
        return "SAS"
    return None


def _form_factor(text: str, parsed: Parsed) -> str | None:
    forms: list[str] = []
    for match in _FORM.finditer(text):
        if _FORM_OTHER.search(text[: match.start()]):
            continue  # "2.5 to 3.5 adapter", "in 3.5 caddy": the host's size, not the drive's
        # U.2 and U.3 are 2.5-inch drives, so anything not in the table is 2.5.
        value = match.group(1) or _FORM_CANON.get(match.group(2).replace(".", ""), "2.5")
        if value and value not in forms:
            forms.append(value)
    if not forms:
        return None
    if len(forms) > 1:
        parsed.doubts += 1
    return forms[0]


def _rpm(text: str) -> int | None:
    match = _RPM.search(text)
    if match:
        if match.group(1):
            return round(float(match.group(1)) * 1000)
        value = int(match.group(2))
        return 10000 if value == 10025 else value
    word = _RPM_WORD.search(text)
    if word and 3600 <= int(word.group(1)) <= 20000:
        return int(word.group(1))
    return None


def _media(text: str, rpm: int | None) -> str | None:
    if rpm is None and _SSD.search(text):
        return "SSD"
    if rpm is not None or _HDD.search(text):
        return "HDD"
    if _FESTPLATTE.search(text):  # German for hard disk, also used loosely for SSDs
        return "HDD"
    if _M2.search(text):
        return "SSD"
    if _SSD_LINE.search(text):
        return "SSD"
    if _HDD_LINE.search(text):
        return "HDD"
    return None
