"""Processors: manufacturer, family, model (SKU grammar per family) and cores."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from core.extract.rules.cpu_cores import CORES
from core.extract.rules.parsed import Parsed
from core.extract.rules.text import Title, has
from core.extract.rules.units import capacities


@dataclass(frozen=True, slots=True)
class CpuModel:
    """A recognised SKU: who makes it, its family, canonical model, where it starts."""

    manufacturer: str
    family: str | None
    model: str
    start: int


_SCALABLE = re.compile(
    r"\b(?:xeon\s+)?(bronze|silver|gold|platinum|plat\.?)\s+(\d{4}[a-vx-z]{0,2}\+?)(?![\w+])"
)
_XEON_NUMBER = re.compile(r"\bxeon\s+(?:scalable\s+)?([3-9]\d{3}[a-vx-z]{0,2}\+?)(?![\w+])")
_E_SERIES = re.compile(r"\b(e[357])[- ]?(\d{4})([a-z]?)(?:\s?-?\s?v\s?([1-9]))?\b")
_W_SERIES = re.compile(
    r"\bw-([1-3]\d{3}[a-z]{0,2})\b|\bxeon\s+w[- ]?([1-3]\d{3}[a-z]{0,2})\b|"
    r"\b(w[3579]-\d{4}[a-z]?)\b"
)
_E_2000 = re.compile(r"\be-(2\d{3}[a-z]{0,2})\b|\bxeon\s+e[- ]?(2\d{3}[a-z]{0,2})\b")
_D_SERIES = re.compile(r"\bd-([12]\d{3}[a-z]{0,2})\b")
# Pre-Scalable Xeons (X5670, E5640, L5640, W3680); not IBM's "x3650 M5" servers.
_XEON_OLD = re.compile(
    r"\b(x[3-7]\d{3}|e[5-7]\d{3}|l[3-7]\d{3}|w3[5-6]\d{2}|w5\d{3})([a-z]?)\b(?!\s?m\d)"
)
_CORE = re.compile(r"\b(?:core\s+)?(i[3579])[- ](\d{3,5})(?!\s?(?:gb|tb|mb|ghz|g\b))([a-z]{0,3})\b")
# "CoreTM i914900K": the brand word vouches for a model written without its separator.
_CORE_JAMMED = re.compile(r"\bcore(?:tm)?\s+(i[3579])(1[0-4]\d{3}|[2-9]\d{3})([a-z]{0,2})\b")
_CORE_ULTRA = re.compile(r"\bcore\s+ultra\s+([3579])\s+(\d{3}[a-z]{0,2})\b")
_EPYC = re.compile(r"\bepyc\s+(?:\d\s+)?(\d{4}[a-z]{0,2}|\d[a-z]\d{2}[a-z]?|\d{2}[a-z]\d[a-z]?)\b")
_THREADRIPPER = re.compile(r"\bthreadripper\s+(?:pro\s+)?(\d{4}[a-z]{0,2})\b")
_RYZEN = re.compile(r"\bryzen\s+(?:pro\s+)?(?:[3579]\s+)?(?:pro\s+)?(\d{4}[a-z]{0,3}\d?[a-z]?)\b")
_OPTERON = re.compile(r"\bopteron\s+(\d{4}[a-z]{0,2})\b")
_SCALABLE_WORDS = ("bronze", "silver", "gold", "plat")

_CORES = re.compile(
    r"\b(\d{1,3})[- ]?(?:cores?|kerne?|núcleos|coeurs)\b|\b(\d{1,3})c(?:/\d{1,3}t)?\b"
)
_GHZ = re.compile(r"(?<![\w.])(\d(?:\.\d{1,2})?)\s?ghz\b")
_SOCKET = re.compile(
    r"\b(?:fc)?(lga\s?\d{3,4}(?:-\d)?|sp3|sp5|sp6|am4|am5|tr4|strx4|swrx8|str5|fclga\d{3,4})\b"
)
_CPU_NOUN = re.compile(
    r"\b(?:cpus?|processors?|prozessor(?:en)?|processeur|procesador|prozessoren)\b"
)
# HPE configure-to-order names: "4208 1P 16GB-R" is one Xeon 4208 and 16GB registered;
# a counted tier or SKU ("2x Gold", "2x 6148") also names the processors of a system.
# a counted tier or SKU ("2x Gold", "2x 6148", "2x 2680v4", "1x E2286G", "2x 7F52") also
# names the processors of a system: server sellers often drop the "Xeon E5-" prefix.
_COUNTED_SKU = (
    r"[1-8]\s?x\s?(?:gold|silver|platinum|bronze|[3-9]\d{3}[a-z]?|[12]\d{3}[a-z]?\s?v[1-4]|"
    r"e-?2\d{3}[a-z]?|\d[a-z]\d{2})\b"
)
_NAMED_PROCESSOR = re.compile(r"\b\d{4}[a-z]?\s[12]p\b|\b" + _COUNTED_SKU)
_COUNTED_CPUS = re.compile(
    r"\b" + _COUNTED_SKU + r"|\b[1-8]\s?x\s?(?:intel\s+|amd\s+)?(?:xeon|epyc|e[357]-)|"
    r"\b(?:dual|quad)\s+(?:cpu|xeon|epyc|processor|socket)"
)
_FAMILY_WORD = re.compile(
    r"\b(?:xeon|epyc|opteron|ryzen|threadripper)\b|\bcore\s+(?:i[3579]|ultra)\b"
)
_NOUN_WORDS = ("cpu", "process", "prozess", "procesador")
_SOCKET_WORDS = ("lga", "sp3", "sp5", "sp6", "am4", "am5", "tr4", "strx4", "swrx8", "str5")
_NO_CPU = re.compile(r"\b(?:no|without|ohne|w/o)\s+(?:cpus?|processors?|prozessor)\b")
_SSPEC = re.compile(r"\bs[rl](?=[a-z0-9]*\d)(?=[0-9]*[a-z])[a-z0-9]{3}\b")
_OPN = re.compile(r"\b(?:100-0{5,6}\d{2,3}|ps\d{3}\w{8,}|cm\d{10,}|bx\d{8,}\w*)\b")


@lru_cache(maxsize=512)
def find_models(text: str) -> tuple[CpuModel, ...]:
    """Every CPU SKU named in `text`, in order of appearance."""
    found: list[CpuModel] = []
    xeon = "xeon" in text
    if xeon or has(text, _SCALABLE_WORDS):
        for m in _SCALABLE.finditer(text):
            found.append(CpuModel("intel", "xeon", m.group(2), m.start()))
        for m in _XEON_NUMBER.finditer(text):
            found.append(CpuModel("intel", "xeon", m.group(1), m.start()))
    if has(text, ("e3", "e5", "e7")):
        for m in _E_SERIES.finditer(text):
            version = m.group(4)
            suffix = f"v{version}" if version and version != "1" else ""
            model = f"{m.group(1)}-{m.group(2)}{m.group(3)}{suffix}"
            found.append(CpuModel("intel", "xeon", model, m.start()))
    if xeon or has(text, ("w-", "w3-", "w5-", "w7-", "w9-")):
        for m in _W_SERIES.finditer(text):
            model = m.group(3) or f"w-{m.group(1) or m.group(2)}"
            found.append(CpuModel("intel", "xeon", model, m.start()))
    if xeon or "e-2" in text:
        for m in _E_2000.finditer(text):
            found.append(CpuModel("intel", "xeon", f"e-{m.group(1) or m.group(2)}", m.start()))
    if xeon:
        for m in _D_SERIES.finditer(text):
            found.append(CpuModel("intel", "xeon", f"d-{m.group(1)}", m.start()))
        for m in _XEON_OLD.finditer(text):
            found.append(CpuModel("intel", "xeon", f"{m.group(1)}{m.group(2)}", m.start()))
    if has(text, ("i3", "i5", "i7", "i9")):
        for pattern in (_CORE, _CORE_JAMMED):
            for m in pattern.finditer(text):
                model = f"{m.group(1)}-{m.group(2)}{m.group(3)}"
                found.append(CpuModel("intel", "core", model, m.start()))
    if "ultra" in text:
        for m in _CORE_ULTRA.finditer(text):
            model = f"ultra{m.group(1)}-{m.group(2)}"
            found.append(CpuModel("intel", "core", model, m.start()))
    if "epyc" in text:
        for m in _EPYC.finditer(text):
            found.append(CpuModel("amd", "epyc", m.group(1), m.start()))
    if "threadripper" in text:
        for m in _THREADRIPPER.finditer(text):
            found.append(CpuModel("amd", "threadripper", m.group(1), m.start()))
    if "ryzen" in text:
        for m in _RYZEN.finditer(text):
            if "threadripper" not in text[m.start() : m.end()]:
                found.append(CpuModel("amd", "ryzen", m.group(1), m.start()))
    if "opteron" in text:
        for m in _OPTERON.finditer(text):
            found.append(CpuModel("amd", None, m.group(1), m.start()))
    found.sort(key=lambda c: c.start)
    return tuple(_dedupe(found))


def _dedupe(models: list[CpuModel]) -> list[CpuModel]:
    seen: set[str] = set()
    unique: list[CpuModel] = []
    for model in models:
        if model.model not in seen:
            seen.add(model.model)
            unique.append(model)
    return unique


@lru_cache(maxsize=512)
def names_cpu(text: str) -> bool:
    """Whether a system title names its processor(s) (a SKU, a family word or a core count)."""
    if _NO_CPU.search(text):
        return False
    if find_models(text) or _NAMED_PROCESSOR.search(text):
        return True
    return bool(_FAMILY_WORD.search(text))


def counted(text: str) -> bool:
    """Whether a title counts processors the way a system listing does ("2x Gold 5118"),
    without calling the item a processor ("2x Xeon Gold 6130 CPU Upgrade Kit")."""
    return bool(_COUNTED_CPUS.search(text)) and not (
        has(text, _NOUN_WORDS) and _CPU_NOUN.search(text)
    )


def evidence(title: Title) -> float:
    """How strongly the title reads as a processor listing."""
    text = title.text
    score = 0.0
    if find_models(text):
        score += 4.0
    if has(text, _NOUN_WORDS) and _CPU_NOUN.search(text) and not _NO_CPU.search(text):
        score += 2.0
    if has(text, _SOCKET_WORDS) and _SOCKET.search(text):
        score += 1.5
    if _CORES.search(text):
        score += 1.5
    if has(text, ("sr", "sl")) and _SSPEC.search(text):
        score += 1.5
    if "ghz" in text:
        score += 0.5
    if _OPN.search(text):
        score += 1.0
    # Memory and storage sizes ("i5-8500T 8GB 256GB") describe a computer, not a processor.
    if len({c.gb for c in capacities(text) if c.gb >= 4}) >= 2:
        score -= 2.0
    return score


def parse(title: Title) -> Parsed:
    """Manufacturer, family, model and cores (stated, else from the SKU table)."""
    text = title.text
    parsed = Parsed(expected=("manufacturer", "family", "model", "cores"))
    attrs = parsed.attributes
    models = find_models(text)
    if models:
        first = models[0]
        attrs["manufacturer"] = first.manufacturer
        if first.family:
            attrs["family"] = first.family
        else:
            parsed.expected = ("manufacturer", "model", "cores")
        attrs["model"] = first.model
        if len(models) > 1:
            parsed.doubts += 1
    else:
        _family_only(text, parsed)
    stated = _CORES.search(text)
    table = CORES.get(attrs.get("model", ""))
    if stated:
        cores = int(stated.group(1) or stated.group(2))
        if 1 <= cores <= 512:
            attrs["cores"] = cores
            if table is not None and table != cores:
                parsed.doubts += 1
    if "cores" not in attrs and table is not None:
        attrs["cores"] = table
    ghz = _GHZ.search(text)
    if ghz and float(ghz.group(1)) > 0:
        attrs["base_ghz"] = float(ghz.group(1))
    socket = _SOCKET.search(text)
    if socket:
        attrs["socket"] = socket.group(1).replace(" ", "").upper()
    return parsed


def _family_only(text: str, parsed: Parsed) -> None:
    attrs = parsed.attributes
    for word, maker, family in (
        ("xeon", "intel", "xeon"),
        ("epyc", "amd", "epyc"),
        ("threadripper", "amd", "threadripper"),
        ("ryzen", "amd", "ryzen"),
    ):
        if re.search(rf"\b{word}\b", text):
            attrs["manufacturer"] = maker
            attrs["family"] = family
            return
    if re.search(r"\bintel\b", text):
        attrs["manufacturer"] = "intel"
    elif re.search(r"\bamd\b", text):
        attrs["manufacturer"] = "amd"
