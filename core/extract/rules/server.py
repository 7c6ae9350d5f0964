"""Servers: manufacturer, model (per vendor grammar), form factor and configuration tier."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from core.extract.rules.cpu import counted, names_cpu
from core.extract.rules.lexicon import COMPONENT_NOUNS, system_brand
from core.extract.rules.parsed import Parsed
from core.extract.rules.text import Title, has


@dataclass(frozen=True, slots=True)
class SystemModel:
    """A recognised system: canonical manufacturer and model, where it starts, and the
    form factor the model implies (None when the model comes in several)."""

    manufacturer: str
    model: str
    start: int
    form_factor: str | None = None


_DELL_CONTEXT = re.compile(r"\b(?:dell|poweredge|emc)\b")
_DELL = re.compile(r"\b(r|t|c|m|fc|mx|xe|xr)\s?(\d{2,4})(?:\s?(xd2|xd|xa|xs|xl|c))?\b")
_DELL_DIGITS = {"r": (3, 4), "t": (2, 3), "c": (4,), "m": (3,), "fc": (3,), "mx": (3,)}
_HPE_CONTEXT = re.compile(r"\b(?:hpe?|proliant|hewlett)\b")
_HPE = re.compile(
    r"\b(dl|ml|bl|sl|xl)\s?(\d{2,4})([a-z]{0,2})(?:\s?(?:gen\s?|g)(\d{1,2}))?(?:\s?(plus|\+))?"
    r"(?:\s?(v\d))?(?![\w+])"
)
_MICROSERVER = re.compile(r"\bmicroserver\s+(?:gen\s?|g)(\d{1,2})(?:\s?(plus|\+))?")
_LENOVO_CONTEXT = re.compile(r"\b(?:lenovo|thinksystem|thinkserver|ibm)\b")
_LENOVO = re.compile(r"\b(sr|st|sd|sn|se|sa)\s?(\d{3})(?:\s?(v\d))?\b")
_SYSTEM_X = re.compile(r"\b(?:system\s?)?x\s?(3\d{3})\s?(m\d)\b")
_THINKSERVER = re.compile(r"\bthinkserver\s+(rd|td|ts|rs|rq|sd)\s?(\d{3})\b")
_CISCO = re.compile(r"\b(?:ucs[- ]?)?(c|b)\s?(\d{3})[- ]?(m\d{1,2})(?:[a-z]{1,3})?\b")
_CISCO_PART = re.compile(r"\bucs[cb]-(c|b)(\d{3})-(m\d{1,2})")
_SUPERMICRO = re.compile(r"\b(sys|as)[- ]?(\d{3,4}[a-z]{0,4}-[a-z0-9+]+(?:-[a-z0-9+]+)*)")
# "AS-1023US", "SYS-7049A": a model without a variant suffix needs the hyphenated prefix.
_SUPERMICRO_SHORT = re.compile(r"\b(sys|as)-(\d{4}[a-z]{1,4})\b(?!-)")
# Supermicro's own model shape ("6028U-TR4T+", "1029P-WTRT") when "SYS-" is left off.
_SUPERMICRO_BARE = re.compile(r"(?<![\w-])(\d{4}[a-z]{1,4}-[a-z0-9+]+(?:-[a-z0-9+]+)*)")
_SYNERGY = re.compile(r"\bsynergy\s+(\d{3})\s+gen\s?(\d{1,2})\b")
_FUJITSU = re.compile(r"\b(rx|tx|cx|bx)\s?(\d{3,4})\s?(s\d|m\d{1,2})\b")
_INSPUR = re.compile(r"\b((?:nf|sa|nx)\d{4}[a-z]?m\d)\b")
_GIGABYTE = re.compile(r"\b([rghse]\d{3}-[a-z0-9]{3,4})\b")
_HUAWEI = re.compile(r"\b(?:rh)?(\d{4}h)\s?(v\d)\b")
_ORACLE_CONTEXT = re.compile(r"\b(?:oracle|sun)\b")
_DGX = re.compile(r"\bdgx[\s-]?(a100|h100|h200|b200|b300|[12])\b")  # NVIDIA's own GPU servers
_ORACLE = re.compile(r"\b(x\d{1,2}-\d[a-z]?)\b")

_FORM = re.compile(r"\b([1-4])\s?(?:u|he)\b|\b(tower|turm)\b")
_LINE = re.compile(
    r"\b(?:poweredge|proliant|thinksystem|system\s?x|ucs|primergy|superserver|"
    r"fusionserver|thinkserver|microserver|dgx)\b"
)
_SERVER_NOUN = re.compile(rf"\b(?:servers?|serveur|rack\s?server)\b(?!\s+{COMPONENT_NOUNS})")
_BAREBONE = re.compile(
    r"\bbare\s?-?bones?\b|\bbarbones?\b|\bcto\b|\bno\s+(?:cpus?|processors?|ram|memory|mem)\b|"
    r"\bno\s+cpu\s?/\s?ram\b|\bw/o\s+(?:cpu|ram)\b|\bwithout\s+(?:cpus?|ram|memory)\b|"
    r"\bohne\s+(?:cpu|ram|prozessor|arbeitsspeicher)\b|\bchassis\s+only\b"
)
_BAYS = re.compile(
    r"\b(\d{1,2})\s?x?\s?(?:sff|lff)\b|\b(\d{1,2})[- ]?(?:bay|bays|schacht)\b|"
    r"\b(\d{1,2})\s?x\s?(?:2\.5|3\.5)\b"
)
# Sockets and DIMM slots listed the way platform (barebone) listings spell them out.
_SLOTS = re.compile(
    r"\b\d{1,2}\s?dimms?\b|\b[1-8]\s?cpus?\b|\b[1-8]\s?x\s?(?:lga\s?\d{4}(?:-\d)?|sp[356])\b"
)
_MANAGEMENT = re.compile(r"\b(?:idrac\d*|ilo\s?\d*|xclarity|ipmi|cimc|irmc)\b")
_STORAGE_AFTER = (
    r"(?:\s?(?:x\s?\d+\s?)?(?:ssd|hdd|nvme|sas|sata|m\.2|flash|sd|emmc|cache|fbwc|boot|drive|"
    r"disk|festplatte|storage|gddr\w*|vram|video|usb|satadom|raid|hard|u\.2))"
)
_RAM_AMOUNT = re.compile(
    r"(?<![\w.])(\d{1,4}(?:\.\d)?)\s?(gb|tb)\b(?!" + _STORAGE_AFTER + r")"
    r"(\s?(?:ram|memory|ddr\d\w*|ecc|rdimm|lrdimm|reg|speicher|arbeitsspeicher)\b)?"
)
_STORAGE = re.compile(
    r"\b\d+(?:\.\d+)?\s?(?:gb|tb)\s?(?:ssd|hdd|nvme|sas|sata|m\.2)\b|\bno\s+(?:hdd|ssd|drives?|disks?)\b"
)
_GRAPHICS = re.compile(r"\b(?:quadro|geforce|rtx|gtx|radeon|tesla|nvidia)\b")
_NO_RAM = re.compile(r"\b(?:no|without|ohne|w/o)\s+(?:ram|memory|mem|arbeitsspeicher)\b")
_CPU_COUNT = re.compile(
    r"\b([1-8])\s?x\s?(?:intel\s+|amd\s+)?(?:xeon|epyc|e5|e7|gold|silver|platinum|bronze|"
    r"opteron|cpu)|\b(dual|quad)\s+(?:cpu|xeon|epyc|processor|socket)"
)

_RACK_UNITS = re.compile(r"\b[1-4]\s?(?:u|he)\b")
_LINE_WORDS = (
    "poweredge", "proliant", "thinksystem", "system", "ucs", "primergy", "superserver",
    "fusionserver", "thinkserver", "microserver", "dgx",
)  # fmt: skip
_BAREBONE_WORDS = ("bare", "barbone", "cto", "no ", "w/o", "without", "ohne", "chassis only")
_BAY_WORDS = ("sff", "lff", "bay", "schacht", "x 2.5", "x2.5", "x 3.5", "x3.5")
_GRAPHICS_WORDS = ("quadro", "geforce", "rtx", "gtx", "radeon", "tesla", "nvidia")
_DELL_FORM = {"1": "1U", "2": "1U", "3": "1U", "4": "1U", "5": "2U", "6": "1U", "7": "2U"}
_HPE_FORM = {
    "20": "1U", "120": "1U", "160": "1U", "320": "1U", "325": "1U", "360": "1U",
    "365": "1U", "180": "2U", "380": "2U", "385": "2U", "560": "2U", "580": "4U",
}  # fmt: skip
_LENOVO_FORM = {
    "250": "1U", "530": "1U", "570": "1U", "630": "1U", "635": "1U", "645": "1U",
    "550": "2U", "590": "2U", "650": "2U", "655": "2U", "665": "2U", "850": "2U",
    "860": "4U", "950": "4U",
}  # fmt: skip
_CISCO_FORM = {"220": "1U", "225": "1U", "240": "2U", "245": "2U", "480": "4U"}
_FUJITSU_FORM = {"1330": "1U", "2530": "1U", "2540": "2U", "2520": "2U", "300": "2U", "200": "1U"}


def find_model(main: str) -> SystemModel | None:
    """The first server model named in the item part of a title."""
    found: list[SystemModel] = []
    if has(main, ("dell", "poweredge", "emc")) and _DELL_CONTEXT.search(main):
        found.extend(_dell(main))
    hpe = has(main, ("hp", "proliant", "hewlett")) and bool(_HPE_CONTEXT.search(main))
    hpe_lines = has(main, ("dl", "ml")) or (hpe and has(main, ("bl", "sl", "xl")))
    for m in _HPE.finditer(main) if hpe_lines else ():
        line, number = m.group(1), m.group(2)
        if not hpe and line not in ("dl", "ml"):
            continue
        gen = f"gen{m.group(4)}" if m.group(4) else ""
        plus = "plus" if m.group(5) else ""
        model = f"{line}{number}{m.group(3)}{gen}{plus}{m.group(6) or ''}"
        form = "tower" if line == "ml" else _HPE_FORM.get(number) if line == "dl" else None
        found.append(SystemModel("hpe", model, m.start(), form))
    for m in _MICROSERVER.finditer(main) if "microserver" in main else ():
        plus = "plus" if m.group(2) else ""
        found.append(SystemModel("hpe", f"microservergen{m.group(1)}{plus}", m.start(), "tower"))
    found.extend(_lenovo(main))
    if "ucs" in main or "cisco" in main:
        for pattern in (_CISCO, _CISCO_PART):
            for m in pattern.finditer(main):
                form = _CISCO_FORM.get(m.group(2)) if m.group(1) == "c" else None
                model = f"{m.group(1)}{m.group(2)}{m.group(3)}"
                found.append(SystemModel("cisco", model, m.start(), form))
    if has(main, ("sys", "as-", "as ")):
        for pattern in (_SUPERMICRO, _SUPERMICRO_SHORT):
            for m in pattern.finditer(main):
                found.append(SystemModel("supermicro", f"{m.group(1)}-{m.group(2)}", m.start()))
    if has(main, ("supermicro", "superserver")):  # SuperServer is Supermicro's own line name
        for m in _SUPERMICRO_BARE.finditer(main):
            found.append(SystemModel("supermicro", f"sys-{m.group(1)}", m.start()))
    if "synergy" in main:
        for m in _SYNERGY.finditer(main):
            found.append(SystemModel("hpe", f"synergy{m.group(1)}gen{m.group(2)}", m.start()))
    if "fujitsu" in main or "primergy" in main:
        for m in _FUJITSU.finditer(main):
            form = "tower" if m.group(1) == "tx" else _FUJITSU_FORM.get(m.group(2))
            model = f"{m.group(1)}{m.group(2)}{m.group(3)}"
            found.append(SystemModel("fujitsu", model, m.start(), form))
    found.extend(_others(main))
    if not found:
        return None
    return min(found, key=lambda s: s.start)


def _dell(main: str) -> list[SystemModel]:
    found: list[SystemModel] = []
    for m in _DELL.finditer(main):
        line, digits, suffix = m.group(1), m.group(2), m.group(3) or ""
        if len(digits) not in _DELL_DIGITS.get(line, (3,)):
            continue
        if suffix == "c" and line != "mx":
            suffix = ""
        form: str | None = None
        if line == "t":
            form = "tower"
        elif line == "r":
            form = _DELL_FORM.get(digits[0])
        found.append(SystemModel("dell", f"{line}{digits}{suffix}", m.start(), form))
    return found


def _lenovo(main: str) -> list[SystemModel]:
    found: list[SystemModel] = []
    lenovo = has(main, ("lenovo", "think", "ibm")) and bool(_LENOVO_CONTEXT.search(main))
    brand = "ibm" if "ibm" in main and "lenovo" not in main else "lenovo"
    if lenovo:
        for m in _LENOVO.finditer(main):
            line, number = m.group(1), m.group(2)
            form = "tower" if line == "st" else _LENOVO_FORM.get(number) if line == "sr" else None
            model = f"{line}{number}{m.group(3) or ''}"
            found.append(SystemModel("lenovo", model, m.start(), form))
        for m in _THINKSERVER.finditer(main):
            form = "tower" if m.group(1) in ("ts", "td") else None
            found.append(SystemModel("lenovo", f"{m.group(1)}{m.group(2)}", m.start(), form))
    for m in _SYSTEM_X.finditer(main) if has(main, ("x3", "x 3")) else ():
        number = m.group(1)
        form = {"3550": "1U", "3650": "2U", "3250": "1U"}.get(number)
        found.append(SystemModel(brand, f"x{number}{m.group(2)}", m.start(), form))
    return found


def _others(main: str) -> list[SystemModel]:
    found: list[SystemModel] = []
    if "inspur" in main:
        found.extend(SystemModel("inspur", m.group(1), m.start()) for m in _INSPUR.finditer(main))
    if "gigabyte" in main:
        found.extend(
            SystemModel("gigabyte", m.group(1), m.start()) for m in _GIGABYTE.finditer(main)
        )
    if has(main, ("huawei", "fusionserver", "xfusion")):
        found.extend(
            SystemModel("huawei", m.group(1) + m.group(2), m.start())
            for m in _HUAWEI.finditer(main)
        )
    if "dgx" in main:
        found.extend(
            SystemModel("nvidia", f"dgx{m.group(1)}", m.start()) for m in _DGX.finditer(main)
        )
    if ("oracle" in main or "sun" in main) and _ORACLE_CONTEXT.search(main):
        found.extend(SystemModel("oracle", m.group(1), m.start()) for m in _ORACLE.finditer(main))
    return found


def evidence(title: Title, model: SystemModel | None) -> float:
    """How strongly the title reads as a server listing."""
    main = title.main
    score = 4.0 if model else 0.0
    if "serve" in main and _SERVER_NOUN.search(main):
        score += 2.0
    if has(main, _LINE_WORDS) and _LINE.search(main):
        score += 1.5
    if barebone(main):
        score += 2.0
    if "u" in main and _RACK_UNITS.search(main):
        score += 1.5
    if has(main, _BAY_WORDS) and _BAYS.search(main):
        score += 1.0
    if has(main, ("idrac", "ilo", "xclarity", "ipmi", "cimc", "irmc")) and _MANAGEMENT.search(main):
        score += 1.0
    if score and slots(main):
        score += 1.0
    if model and counted(main):
        score += 2.0  # "R740XD 2x Gold 5118": processors counted in a machine's spec list
    # A processor and memory list makes a server only if something else says "server".
    return score + configuration(main) if score else 0.0


def named_server(main: str) -> bool:
    """Whether the title calls the item a server (not "server RAM", "server rails")."""
    return "serve" in main and bool(_SERVER_NOUN.search(main))


def sized(main: str) -> bool:
    """Whether a system title gives its rack height or drive bays."""
    return bool(
        ("u" in main and _RACK_UNITS.search(main)) or (has(main, _BAY_WORDS) and _BAYS.search(main))
    )


def slots(main: str) -> bool:
    """Whether a system title lists its sockets or DIMM slots ("24DIMM", "2x LGA2011-3")."""
    return has(main, ("dimm", "cpu", "lga", "sp")) and bool(_SLOTS.search(main))


def managed(main: str) -> bool:
    """Whether a title names a management controller (iDRAC, iLO, IPMI, ...)."""
    return bool(_MANAGEMENT.search(main))


def described(main: str) -> bool:
    """Whether a server title says more than a model name: the word server, a size, bays,
    management, a configuration, or that it is barebone."""
    return bool(
        named_server(main)
        or barebone(main)
        or _FORM.search(main)
        or (has(main, _BAY_WORDS) and _BAYS.search(main))
        or _MANAGEMENT.search(main)
        or slots(main)
        or configuration(main) > 0
    )


@lru_cache(maxsize=512)
def configuration(main: str) -> float:
    """How much of a system build a title lists: processors, memory, storage, graphics."""
    score = (1.0 if names_cpu(main) else 0.0) + (1.0 if names_ram(main) else 0.0)
    if has(main, ("ssd", "hdd", "nvme", "sas", "sata", "m.2")) and _STORAGE.search(main):
        score += 0.5
    if has(main, _GRAPHICS_WORDS) and _GRAPHICS.search(main):
        score += 0.5
    return score


@lru_cache(maxsize=512)
def names_ram(main: str) -> bool:
    """Whether a system title names installed memory ("128GB", "64GB RAM", "1TB DDR4")."""
    if ("gb" not in main and "tb" not in main) or _NO_RAM.search(main):
        return False
    for m in _RAM_AMOUNT.finditer(main):
        value, unit, ram_word = float(m.group(1)), m.group(2), m.group(3)
        if ram_word:
            return True
        if unit == "gb" and value >= 8 and value == int(value):
            return True
    return False


def parse(title: Title, model: SystemModel | None) -> Parsed:
    """Manufacturer, model, form factor and tier; cpu_count, memory and bays when stated."""
    main = title.main
    parsed = Parsed(expected=("manufacturer", "model"))
    attrs = parsed.attributes
    if model:
        attrs["manufacturer"] = model.manufacturer
        attrs["model"] = model.model
        if model.manufacturer == "hpe" and "gen" not in model.model and "dl" in model.model:
            parsed.doubts += 1  # "DL380" without a generation spans a decade of machines
    else:
        maker = system_brand(main)
        if maker:
            attrs["manufacturer"] = "hpe" if maker == "hp" else maker  # HP servers are HPE's
    form = _FORM.search(main)
    if form:
        attrs["form_factor"] = f"{form.group(1)}U" if form.group(1) else "tower"
    elif model and model.form_factor:
        attrs["form_factor"] = model.form_factor
    tier = _tier(main)
    if tier:
        attrs["tier"] = tier
    _extras(main, attrs)
    return parsed


def barebone(main: str) -> bool:
    """Whether a system title says it comes without processors or memory."""
    return has(main, _BAREBONE_WORDS) and bool(_BAREBONE.search(main))


def _tier(main: str) -> str | None:
    if _BAREBONE.search(main):
        return "barebone"
    cpu, ram = names_cpu(main), names_ram(main)
    if cpu and ram:
        return "configured"
    if cpu or ram:
        return "partial"
    return None


def _extras(main: str, attrs: dict[str, object]) -> None:
    count = _CPU_COUNT.search(main)
    if count:
        attrs["cpu_count"] = int(count.group(1)) if count.group(1) else 2
    if not _NO_RAM.search(main):
        for m in _RAM_AMOUNT.finditer(main):
            value, unit = float(m.group(1)), m.group(2)
            gb = round(value * 1024) if unit == "tb" else int(value)
            if (m.group(3) or (unit == "gb" and value >= 8)) and 1 <= gb <= 65536:
                attrs["memory_gb"] = gb
                break
    bays = _BAYS.search(main)
    if bays:
        number = int(next(g for g in bays.groups() if g))
        if 1 <= number <= 100:
            attrs["bays"] = number
