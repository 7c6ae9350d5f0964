"""Memory modules: generation, per-module capacity, speed, ECC, registered, module kind."""

from __future__ import annotations

import re

from core.extract.product_keys import REGISTERED_MODULES
from core.extract.rules.parsed import Parsed
from core.extract.rules.text import Title, has
from core.extract.rules.units import STANDARD_SPEEDS, capacities, nearest_speed

MODULE_SIZES = frozenset({1, 2, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256})

# "DDR4", "DDR-4", "DDR 4", "TruDDR4", "DDR3L"; or the generation a PC code names.
_GEN = re.compile(r"\b(?:tru)?ddr[- ]?([2345])(?:l|lv|u)?\b|\bpc([2345])l?[- ]?\d{4,5}")
# PC3L-12800R, PC4-2666V-RB2, PC4-21300, PC5-4800B-RC0, PC4-3200AA-R, "PC3 12800"
_PC = re.compile(r"\bpc([2345])l?[- ]?(\d{4,5})([a-z]{0,2})(?:-([a-z])[a-z0-9]{0,3})?\b")
_DDR_SPEED = re.compile(r"\b(?:tru)?ddr[- ]?[2345]l?[- ]?(\d{3,4})(?![\d.])(?!\s?(?:gb|mb|g\b))")
_MHZ = re.compile(r"(?<![\w.])(\d{3,4})\s?(?:mhz|mt/s|mts|mt)\b")
# A data rate on its own, or with the JEDEC bin letter sellers copy off the label ("2666V").
_BARE_SPEED = re.compile(r"(?<![\w./-])(\d{4})(?:aa|[prtuvwy])?(?![\w./\"])")
_DIMM = re.compile(
    r"\b(lrdimms?|lr-dimms?|rdimms?|r-dimms?|udimms?|u-dimms?|so-?dimms?|sodimms?|dimms?|"
    r"fb-?dimms?)\b"
)
_MEMORY_NOUN = re.compile(r"\b(?:memory|ram|arbeitsspeicher|speicher|memoria|mémoire)\b")
_NO_MEMORY = re.compile(r"\b(?:no|without|ohne|w/o|0gb)\s+(?:ram|memory|speicher)\b")
_RANK = re.compile(r"\b([1248])\s?([ds]?)r\s?x\s?(4|8|16)\b")
_NON_ECC = re.compile(r"\bnon[- ]?ecc\b|\bno[- ]ecc\b|\bohne\s+ecc\b")
_ECC = re.compile(r"\becc\b")
_REGISTERED = re.compile(
    r"\b(?:lrdimms?|lr-dimms?|rdimms?|r-dimms?|registered|registriert|reg|load[- ]?reduced)\b|"
    r"(?<!un-)\bbuffered\b"
)
_UNBUFFERED = re.compile(
    r"\b(?:udimms?|u-dimms?|unbuffered|unbuf|non[- ]?reg(?:istered)?|ub|unregistered)\b"
)
# Module kinds by name (most specific first: "LRDIMM" is no RDIMM). CUDIMM and CSODIMM are
# DDR5's clocked unbuffered modules, sold alongside the plain ones.
_MODULE_WORDS = (
    (re.compile(r"\blr-?dimms?\b|\bload[- ]?reduced\b"), "LRDIMM"),
    (re.compile(r"\br-?dimms?\b"), "RDIMM"),
    (re.compile(r"\bc?u-?dimms?\b"), "UDIMM"),
    (re.compile(r"\bc?so[- ]?dimms?\b"), "SODIMM"),
)
_LAPTOP = re.compile(r"\blaptop\b|\bnotebook\b|\bfury\s+impact\b")
_FULLY_BUFFERED = re.compile(r"\bfb-?dimms?\b|\bfully[- ]buffered\b")
_DESKTOP = re.compile(
    r"\bdesktop\b|\bgaming\b|\bpc\s+(?:ram|memory|speicher)\b|\brgb\b|"
    r"\b(?:vengeance|ripjaws|trident|fury|ballistix|t-?force|hyperx|dominator|xpg|viper|"
    r"aegis|flare)\b"
)
_CONSUMER_LINE = re.compile(
    r"\b(?:vengeance|ripjaws|trident|fury|ballistix|t-?force|hyperx|dominator|xpg|viper|aegis)\b"
)
# Vendor part numbers that encode module type (and often speed).
_SAMSUNG = re.compile(r"\bm(393|386|391|381|378|471|474|321|323|324|425)[a-z]\w{5,}(?:-c(\w{2}))?")
_MICRON = re.compile(r"\bmta\d{1,2}a[a-z]{2}\d{1,2}g(72|64)([a-z]{1,3})z(?:-(\d)g(\d))?")
_HYNIX = re.compile(r"\bhm(?:a|aa|t|cg)\w*?\d{1,2}g([rlus])(\d)\w*?(?:-([a-z]{2})\b)?")
_KINGSTON = re.compile(r"\bk(sm|vr)(\d{2})([a-z])([a-z]?)")
_KINGSTON_FURY = re.compile(r"\bkf(\d)(\d{2})c")
_GSKILL = re.compile(r"\bf[345]-(\d{4})c")
_CORSAIR = re.compile(r"\bcm[a-z]\w*?[a-z](\d{4})c\d{2}")
_CRUCIAL = re.compile(r"\bbl\d?k?\d+g(\d{2})c")
# Server vendors' own part numbers that name the module kind: Cisco UCS-MR (RDIMM) and
# UCS-ML (LRDIMM); Supermicro MEM-DR4..-ER (registered), -LR (load-reduced), -EU (unbuffered).
_CISCO = re.compile(r"\bucs-m([rl])-")
_SUPERMICRO = re.compile(r"\bmem-dr[345]\w+-\w+-(er|lr|eu)\d{2}\b")
_OTHER_PARTS = re.compile(
    r"\b(?:snp\w{6}/\d+g|ucs-mr-\w+|mem-dr\w+|ksm\w+|kvr\w+|kf\d\w+|ct\d+g\d\w+|f[345]-\d{4}\w+)"
)

_CONSUMER_WORDS = (
    "vengeance", "ripjaws", "trident", "fury", "ballistix", "force", "hyperx", "dominator", "xpg",
    "viper", "aegis",
)  # fmt: skip
_NOUN_WORDS = ("memory", "ram", "speicher", "memoria", "mémoire")
_TYPE_WORDS = ("reg", "ecc", "buf", "dimm", "ub", "load")
_PART_WORDS = ("snp", "ucs-mr", "mem-dr", "ksm", "kvr", "kf", "ct", "f3-", "f4-", "f5-")
_SAMSUNG_SPEED = {"pb": 2133, "rc": 2400, "td": 2666, "vf": 2933, "we": 3200, "qk": 4800}
_HYNIX_SPEED = {"tf": 2133, "uh": 2400, "vk": 2666, "wm": 2933, "xn": 3200}


def evidence(title: Title) -> float:
    """How strongly the title reads as a memory listing."""
    text = title.text
    score = 0.0
    coded = "pc" in text
    if ("ddr" in text or coded) and _GEN.search(text):
        score += 2.0
    if coded and _PC.search(text):
        score += 3.0
    if "dimm" in text and _DIMM.search(text):
        score += 3.0
    if has(text, _NOUN_WORDS) and _MEMORY_NOUN.search(text) and not _NO_MEMORY.search(text):
        score += 1.5
    if "rx" in text and _RANK.search(text):
        score += 2.0
    if has(text, _TYPE_WORDS) and (
        _REGISTERED.search(text) or _UNBUFFERED.search(text) or _ECC.search(text)
    ):
        score += 1.5
    if any(c.gb in MODULE_SIZES for c in capacities(text)):
        score += 1.0
    if score and (_DDR_SPEED.search(text) or _MHZ.search(text)):
        score += 1.0
    if has(text, _CONSUMER_WORDS) and _CONSUMER_LINE.search(text):
        score += 2.0
    if _part_family(text):
        score += 2.0
    return score


def _part_family(text: str) -> bool:
    return bool(
        (has(text, ("m3", "m4")) and _SAMSUNG.search(text))
        or ("mta" in text and _MICRON.search(text))
        or ("hm" in text and _HYNIX.search(text))
        or (has(text, _PART_WORDS) and _OTHER_PARTS.search(text))
    )


def parse(title: Title) -> Parsed:
    """Generation, per-module capacity and kit size, speed, ECC/registered, module, rank."""
    text = title.text
    parsed = Parsed(expected=("generation", "capacity_gb", "speed_mhz"))
    attrs = parsed.attributes
    generation = _generation(text)
    if generation:
        attrs["generation"] = f"DDR{generation}"
    _capacity(text, parsed)
    _speed(text, generation, parsed)
    _module_type(text, parsed)
    rank = _RANK.search(text)
    if rank:
        attrs["rank"] = f"{rank.group(1)}{rank.group(2).upper()}Rx{rank.group(3)}"
    part = _part_number(title.raw)
    if part:
        attrs["part_number"] = part
    return parsed


def _generation(text: str) -> int | None:
    found = {int(m.group(1) or m.group(2)) for m in _GEN.finditer(text)}
    found = {g for g in found if g in (3, 4, 5)} or found
    if len(found) == 1:
        generation = found.pop()
        return generation if generation in (3, 4, 5) else None
    return None


def _capacity(text: str, parsed: Parsed) -> None:
    found = capacities(text)
    kits = [c for c in found if c.count > 1 and c.gb in MODULE_SIZES]
    if kits:
        parsed.attributes["capacity_gb"] = kits[0].gb
        parsed.units = kits[0].count
        return
    modules = [c.gb for c in found if c.gb in MODULE_SIZES and c.count == 1]
    if not modules:
        return
    parsed.attributes["capacity_gb"] = modules[0]
    if len(set(modules)) > 1:
        parsed.doubts += 1
    if re.search(rf"\b{modules[0]}\s?gb\s+kit\b", text):  # a kit total without its split
        parsed.doubts += 1


def _speed(text: str, generation: int | None, parsed: Parsed) -> None:
    speed = _stated_speed(text, generation)
    if speed is None:
        speed = _part_speed(text)
    if speed is not None and speed >= 800:  # DDR2-era rates are outside the schema
        parsed.attributes["speed_mhz"] = speed


def _stated_speed(text: str, generation: int | None) -> int | None:
    for pattern in (_DDR_SPEED, _MHZ):
        for match in pattern.finditer(text):
            value = int(match.group(1))
            if value in STANDARD_SPEEDS and value >= 800:
                return value
    for match in _PC.finditer(text):
        speed = pc_code_speed(int(match.group(1)), match.group(2))
        if speed is not None:
            return speed
    if generation is not None:
        for match in _BARE_SPEED.finditer(text):
            value = int(match.group(1))
            if value in STANDARD_SPEEDS and value >= 1066:
                return value
    return None


def pc_code_speed(generation: int, digits: str) -> int | None:
    """MT/s from a PC code number: PC4-21300 (MB/s, /8) or PC4-2666 (short form, as is)."""
    value = int(digits)
    if generation in (4, 5) and len(digits) == 4:
        return value if value in STANDARD_SPEEDS else nearest_speed(value)
    return nearest_speed(value / 8)


def _part_speed(text: str) -> int | None:
    match = _SAMSUNG.search(text)
    if match and match.group(2) in _SAMSUNG_SPEED:
        return _SAMSUNG_SPEED[match.group(2)]
    micron = _MICRON.search(text)
    if micron and micron.group(3):
        return nearest_speed(int(micron.group(3)) * 1000 + int(micron.group(4)) * 100)
    hynix = _HYNIX.search(text)
    if hynix and hynix.group(3) in _HYNIX_SPEED:
        return _HYNIX_SPEED[hynix.group(3)]
    for pattern in (_KINGSTON, _KINGSTON_FURY):
        match = pattern.search(text)
        if match:
            return nearest_speed(int(match.group(2)) * 100)
    for pattern in (_GSKILL, _CORSAIR):
        match = pattern.search(text)
        if match:
            value = int(match.group(1))
            return value if value in STANDARD_SPEEDS else None
    crucial = _CRUCIAL.search(text)
    if crucial:
        return nearest_speed(int(crucial.group(1)) * 100)
    return None


def _module_type(text: str, parsed: Parsed) -> None:
    """ECC, registered and the module kind from words, PC-code letters and part numbers."""
    registered: set[bool] = set()
    ecc: set[bool] = set()
    # Module kinds from what sellers copy off the label (PC-code letter, vendor part number),
    # which is exact, and from the words they type, which now and then is not.
    coded: set[str] = set()
    if _NON_ECC.search(text):
        ecc.add(False)
        registered.add(False)
    elif _ECC.search(text):
        ecc.add(True)
    if _REGISTERED.search(text):
        registered.add(True)
    if _UNBUFFERED.search(text):
        registered.add(False)
    for letter_ecc, letter_reg, letter_module in _code_letters(text):
        if letter_ecc is not None:
            ecc.add(letter_ecc)
        if letter_reg is not None:
            registered.add(letter_reg)
        if letter_module is not None:
            coded.add(letter_module)
    part_ecc, part_reg, part_module = _part_type(text)
    if part_module is not None:
        coded.add(part_module)
    worded = _module_words(text)
    sodimm = "SODIMM" in coded or "SODIMM" in worded or bool(_LAPTOP.search(text))
    if not ecc and part_ecc is not None:
        ecc.add(part_ecc)
    if not registered and part_reg is not None:
        registered.add(part_reg)
    if True in registered and False not in ecc:
        ecc.add(True)  # registered and load-reduced DIMMs are always ECC
    # Laptop and desktop modules are unbuffered, and non-ECC unless the title says ECC.
    consumer = sodimm or bool(_DESKTOP.search(text))
    if consumer and True not in registered:
        registered.add(False)
    if consumer and not ecc:
        ecc.add(False)
    attrs = parsed.attributes
    if len(ecc) == 1:
        attrs["ecc"] = ecc.pop()
    elif ecc:
        parsed.doubts += 1
    if len(registered) == 1:
        attrs["registered"] = registered.pop()
    elif registered:
        parsed.doubts += 1
        return  # registered or not is in doubt, and so is the module kind
    module = _module(coded, worded, parsed)
    if module is None and not (coded or worded):
        module = _implied_module(text, sodimm, attrs.get("registered"))
    if module is None:
        return
    is_registered = module in REGISTERED_MODULES
    if attrs.setdefault("registered", is_registered) is not is_registered:
        parsed.doubts += 1  # "ECC Registered ... UDIMM": keep the flag, drop the kind
        return
    if is_registered:
        attrs.setdefault("ecc", True)
    attrs["module"] = module


def _module_words(text: str) -> set[str]:
    """Module kinds the title's words name: LRDIMM, RDIMM, UDIMM, SODIMM."""
    if "dimm" not in text and "load" not in text:
        return set()
    return {module for pattern, module in _MODULE_WORDS if pattern.search(text)}


def _module(coded: set[str], worded: set[str], parsed: Parsed) -> str | None:
    """One module kind from the label's codes, else the words; a disagreement is a doubt."""
    if len(coded) == 1:
        (module,) = coded
        if worded and worded != coded:
            parsed.doubts += 1  # "RDIMM ... PC4-2666V-L": the label's letter wins
        return module
    if len(coded) > 1:
        if len(worded) == 1 and worded <= coded:
            return next(iter(worded))
        parsed.doubts += 1
        return None
    if len(worded) == 1:
        return next(iter(worded))
    if worded:
        parsed.doubts += 1  # "RDIMM / LRDIMM"
    return None


def _implied_module(text: str, sodimm: bool, registered: bool | None) -> str | None:
    """The module kind when no code or module word names it: laptop memory is SODIMM;
    "Registered" (or "REG") is sold as RDIMM, since LRDIMM sellers say load-reduced;
    unbuffered, desktop and non-ECC memory is UDIMM."""
    if sodimm:
        return "SODIMM"
    if registered is None or _FULLY_BUFFERED.search(text):
        return None  # FB-DIMMs are DDR2, buffered differently
    return "RDIMM" if registered else "UDIMM"


def _code_letters(text: str) -> list[tuple[bool | None, bool | None, str | None]]:
    """(ecc, registered, module) from the module letter of each PC code (R, L, E, U, S)."""
    found: list[tuple[bool | None, bool | None, str | None]] = []
    for match in _PC.finditer(text):
        generation, digits = int(match.group(1)), match.group(2)
        if generation in (2, 3) or len(digits) == 5:
            letter = match.group(3)[:1] if match.group(3) else ""
        else:
            letter = match.group(4) or ""
        if letter == "r":
            found.append((True, True, "RDIMM"))
        elif letter == "l":
            found.append((True, True, "LRDIMM"))
        elif letter == "e":
            found.append((True, False, "UDIMM"))
        elif letter == "u":  # unbuffered: ECC depends on the module
            found.append((None, False, "UDIMM"))
        elif letter == "s":
            found.append((None, False, "SODIMM"))
    return found


def _part_type(text: str) -> tuple[bool | None, bool | None, str | None]:
    """(ecc, registered, module) implied by a vendor part number."""
    samsung = _SAMSUNG.search(text)
    if samsung:
        family = samsung.group(1)
        if family in ("393", "321"):
            return True, True, "RDIMM"
        if family == "386":
            return True, True, "LRDIMM"
        if family in ("391", "381", "324"):
            return True, False, "UDIMM"
        if family in ("378", "323"):
            return False, False, "UDIMM"
        if family == "474":
            return True, False, "SODIMM"
        return False, False, "SODIMM"  # 471, 425
    micron = _MICRON.search(text)
    if micron:
        width, kind = micron.group(1), micron.group(2)
        if "l" in kind:
            return True, True, "LRDIMM"
        if "p" in kind:
            return True, True, "RDIMM"
        if "h" in kind:
            return width == "72", False, "SODIMM"
        return width == "72", False, "UDIMM" if "a" in kind else None
    hynix = _HYNIX.search(text)
    if hynix:
        kind, width = hynix.group(1), hynix.group(2)
        if kind == "r":
            return True, True, "RDIMM"
        if kind == "l":
            return True, True, "LRDIMM"
        if kind == "s":
            return None, False, "SODIMM"
        return width == "7", False, "UDIMM"
    kingston = _KINGSTON.search(text)
    if kingston:
        line, letter = kingston.group(1), kingston.group(3)
        if line == "vr" and letter == "l":  # KVR16LR11: low-voltage, then the module letter
            letter = kingston.group(4)
            if letter == "l":
                return True, True, None
        if letter == "r":
            return True, True, "RDIMM"
        if letter == "l":
            return True, True, "LRDIMM"
        if letter == "e":
            return True, False, "UDIMM"
        if letter == "n":
            return False, False, "UDIMM"
        if letter == "s":
            return None, False, "SODIMM"
    if "ucs-m" in text and (cisco := _CISCO.search(text)):
        return True, True, "RDIMM" if cisco.group(1) == "r" else "LRDIMM"
    if "mem-dr" in text and (supermicro := _SUPERMICRO.search(text)):
        kind = supermicro.group(1)
        if kind == "eu":
            return True, False, "UDIMM"
        return True, True, "RDIMM" if kind == "er" else "LRDIMM"
    return None, None, None


def _part_number(raw: str) -> str | None:
    match = re.search(
        r"\b(M3(?:93|86|91|78|21|23)[A-Z]\w{5,}(?:-\w{3,6})?|HM[AT][A-Z0-9]{6,}(?:-\w{2,3})?|"
        r"MTA\w{8,}(?:-\w{3})?|KSM\w{6,}(?:/\d+\w*)?|KVR\w{5,}(?:/\d+\w*)?)",
        raw,
        re.IGNORECASE,
    )
    return match.group(1)[:40] if match else None
