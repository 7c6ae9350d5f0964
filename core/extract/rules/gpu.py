"""Graphics and compute cards: manufacturer, model (without brand words) and VRAM."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from core.extract.rules.parsed import Parsed
from core.extract.rules.text import Title, has


@dataclass(frozen=True, slots=True)
class GpuModel:
    """A recognised card: its chip maker, canonical model and where it starts."""

    manufacturer: str
    model: str
    start: int


_GEFORCE = re.compile(
    r"\b(?:geforce\s+)?(rtx|gtx|gt)\s?(\d{3,4})(?:\s?(ti))?(?:\s?(super))?\b(?!\s?(?:ada|a\d))"
)
_QUADRO_RTX = re.compile(r"\b(?:quadro\s+)?rtx\s?([2-8]000)(?:\s?(ada))?\b")
_TITAN = re.compile(r"\btitan\s?(xp|x|v|rtx|z|black)?\b")
_LETTER_MODEL = re.compile(
    r"\b(a\d{1,4}|[kmptlh]\d{1,4}s?|gv100|gp100|v100s?|t4|l4|l40s?)\b(?!\s?(?:gb|tb|w\b|mm))"
)
_INSTINCT = re.compile(r"\b(?:instinct\s+|radeon\s+instinct\s+)?(mi\d{2,3}[a-z]?)\b")
_RADEON_PRO = re.compile(r"\bradeon\s+pro\s+(wx|w|v|duo|ssg)\s?(\d{3,4})([a-z]{0,2})\b")
_RADEON_RX = re.compile(r"\b(?:radeon\s+)?rx\s?(\d{3,4})(?:\s?(xtx|xt|gre))?\b")
_RADEON_OTHER = re.compile(r"\bradeon\s+(?:pro\s+)?(vii|vega\s?\d{2})\b")
_FIREPRO = re.compile(r"\bfirepro\s+([swdv]\d{3,4})\b")
_ARC = re.compile(r"\barc\s+(?:pro\s+)?([ab]\d{2,3})\b")
_INTEL_DC = re.compile(r"\b(flex|max)\s?(140|170|1100|1550)\b")

_CONTEXT = re.compile(
    r"\b(?:nvidia|geforce|rtx|gtx|quadro|tesla|radeon|instinct|firepro|gpu|gpus|graphics|"
    r"grafikkarte|video\s+card|gddr\d\w?|hbm\d?\w?|cuda|accelerator|tensor|intel\s+arc)\b"
)
_GPU_NOUN = re.compile(
    r"\b(?:graphics\s+cards?|video\s+cards?|grafikkarte|gpus?|accelerator|compute\s+card|"
    r"tensor\s+core|graphics)\b(?!\s+(?:server|riser|cable|bracket|power|node|chassis|kit))"
)
_CONTEXT_WORDS = (
    "nvidia", "geforce", "rtx", "gtx", "quadro", "tesla", "radeon", "instinct", "firepro",
    "gpu", "graphic", "grafik", "video", "ddr", "hbm", "cuda", "accelerator", "tensor", "arc",
)  # fmt: skip
_NOUN_WORDS = ("graphic", "video", "grafik", "gpu", "accelerator", "compute", "tensor")
_BRAND_WORDS = ("geforce", "quadro", "tesla", "radeon", "instinct", "nvidia", "grid")
_NO_GPU = re.compile(r"\b(?:no|without|ohne|w/o)\s+(?:gpus?|graphics)\b")
_VRAM_KIND = re.compile(r"\b(?:gddr\d\w?|hbm\d?\w?)\b")
_AMD_CONTEXT = re.compile(r"\b(?:amd|radeon|instinct|firepro)\b")
_AMD_BOARD = re.compile(r"\b(?:sapphire|xfx|powercolor|gddr\d\w?|graphics|video\s+card|gpu)\b")
_BRAND_WORD = re.compile(r"\b(?:geforce|quadro|tesla|radeon|instinct|nvidia|grid)\b")
_GRID = re.compile(r"\bgrid\s+(k[12]|m10|m60)\b")
_VRAM = re.compile(r"(?<![\w.])(\d{1,3})\s?gb?\b")
_VRAM_TYPED = re.compile(
    r"(?<![\w.])(\d{1,3})\s?gb\s?(?:g?ddr\d\w?|hbm\d?\w?|vram|video|graphics|memory)\b"
)

# NVIDIA data-centre and professional cards named by letter and number.
_NVIDIA_LETTER = frozenset(
    {
        "a2",
        "a10",
        "a16",
        "a30",
        "a40",
        "a100",
        "a800",
        "a400",
        "a1000",
        "a2000",
        "a4000",
        "a4500",
        "a5000",
        "a5500",
        "a6000",
        "k10",
        "k20",
        "k20x",
        "k40",
        "k80",
        "m10",
        "m40",
        "m60",
        "p4",
        "p6",
        "p40",
        "p100",
        "v100",
        "v100s",
        "t4",
        "l4",
        "l40",
        "l40s",
        "h100",
        "h200",
        "h800",
        "gv100",
        "gp100",
        "k600",
        "k620",
        "k1200",
        "k2200",
        "k4000",
        "k4200",
        "k5000",
        "k5200",
        "k6000",
        "m2000",
        "m4000",
        "m5000",
        "m6000",
        "p400",
        "p600",
        "p620",
        "p1000",
        "p2000",
        "p2200",
        "p4000",
        "p5000",
        "p6000",
        "t400",
        "t600",
        "t1000",
    }
)
_ARC_MODELS = frozenset({"a310", "a380", "a580", "a750", "a770"})

# VRAM sizes each SKU ships with; a single size fills titles that omit it.
_VRAM_TABLE: dict[tuple[str, str], tuple[int, ...]] = {
    ("nvidia", k): v
    for k, v in {
        "3090": (24,), "3090ti": (24,), "3080": (10, 12), "3080ti": (12,), "3070": (8,),
        "3070ti": (8,), "3060": (8, 12), "3060ti": (8,), "3050": (6, 8), "4090": (24,),
        "4080": (16,), "4080super": (16,), "4070tisuper": (16,), "4070ti": (12,),
        "4070super": (12,), "4070": (12,), "4060ti": (8, 16), "4060": (8,), "5090": (32,),
        "5080": (16,), "5070ti": (16,), "5070": (12,), "2080ti": (11,), "2080super": (8,),
        "2080": (8,), "2070super": (8,), "2070": (8,), "2060super": (8,), "2060": (6, 12),
        "1080ti": (11,), "1080": (8,), "1070ti": (8,), "1070": (8,), "1060": (3, 6),
        "1660super": (6,), "1660ti": (6,), "1660": (6,), "1650": (4,), "1050ti": (4,),
        "titanrtx": (24,), "titanv": (12,), "titanxp": (12,), "k80": (24,), "m40": (12, 24),
        "m60": (16,), "m10": (32,), "p4": (8,), "p40": (24,), "p100": (12, 16),
        "v100": (16, 32), "v100s": (32,), "t4": (16,), "a2": (16,), "a10": (24,),
        "a16": (64,), "a30": (24,), "a40": (48,), "a100": (40, 80), "a800": (40, 80),
        "h100": (80, 94), "h200": (141,), "l4": (24,), "l40": (48,), "l40s": (48,),
        "gv100": (32,), "p400": (2,), "p600": (2,), "p620": (2,), "p1000": (4,),
        "p2000": (5,), "p2200": (5,), "p4000": (8,), "p5000": (16,), "p6000": (24,),
        "m2000": (4,), "m4000": (8,), "m5000": (8,), "m6000": (12, 24), "k2200": (4,),
        "k4200": (4,), "k5200": (8,), "k6000": (12,), "k620": (2,), "k1200": (4,),
        "t400": (2, 4), "t600": (4,), "t1000": (4, 8), "a400": (4,), "a1000": (8,),
        "a2000": (6, 12), "a4000": (16,), "a4500": (20,), "a5000": (24,), "a5500": (24,),
        "a6000": (48,), "4000": (8,), "5000": (16,), "6000": (24,), "8000": (48,),
        "2000ada": (16,), "4000ada": (20,), "4500ada": (24,), "5000ada": (32,),
        "6000ada": (48,), "gridk1": (16,), "gridk2": (8,), "gridm10": (32,), "gridm60": (16,),
    }.items()
} | {
    ("amd", k): v
    for k, v in {
        "mi25": (16,), "mi50": (16, 32), "mi60": (32,), "mi100": (32,), "mi210": (64,),
        "mi250": (128,), "mi250x": (128,), "mi300x": (192,), "wx9100": (16,),
        "wx7100": (8,), "wx5100": (8,), "wx4100": (4,), "wx3100": (4,), "w6800": (32,),
        "w6600": (8,), "w7900": (48,), "w7800": (32,), "w5700": (8,), "7900xtx": (24,),
        "7900xt": (20,), "7800xt": (16,), "7700xt": (12,), "7600": (8,), "6950xt": (16,),
        "6900xt": (16,), "6800xt": (16,), "6800": (16,), "6700xt": (12,), "6600xt": (8,),
        "6600": (8,), "vii": (16,),
    }.items()
} | {
    ("intel", k): v
    for k, v in {
        "a770": (8, 16), "a750": (8,), "a580": (8,), "a380": (6,), "a310": (4,),
        "b580": (12,), "b570": (10,),
    }.items()
}  # fmt: skip


@lru_cache(maxsize=512)
def find_models(text: str) -> tuple[GpuModel, ...]:
    """Every GPU model named in `text`, in order of appearance."""
    found: list[GpuModel] = []
    if "rtx" in text or "gt" in text:
        quadro_spans = []
        for m in _QUADRO_RTX.finditer(text):
            found.append(GpuModel("nvidia", m.group(1) + (m.group(2) or ""), m.start()))
            quadro_spans.append(m.span())
        for m in _GEFORCE.finditer(text):
            if any(start <= m.start() < end for start, end in quadro_spans):
                continue
            model = m.group(2) + (m.group(3) or "") + (m.group(4) or "")
            found.append(GpuModel("nvidia", model, m.start()))
    if "titan" in text and has(text, ("nvidia", "geforce", "gtx", "rtx")):
        found.extend(
            GpuModel("nvidia", "titan" + (m.group(1) or ""), m.start())
            for m in _TITAN.finditer(text)
        )
    context = has(text, _CONTEXT_WORDS) and bool(_CONTEXT.search(text))
    arc = "arc" in text or "intel" in text
    if context or arc:
        for m in _LETTER_MODEL.finditer(text):
            token = m.group(1)
            if token in _ARC_MODELS and arc:
                found.append(GpuModel("intel", token, m.start()))
            elif token in _NVIDIA_LETTER and context:
                found.append(GpuModel("nvidia", token, m.start()))
    if "grid" in text:
        found.extend(
            GpuModel("nvidia", f"grid{m.group(1)}", m.start()) for m in _GRID.finditer(text)
        )
    if "arc" in text:
        found.extend(GpuModel("intel", m.group(1), m.start()) for m in _ARC.finditer(text))
    if "intel" in text and ("flex" in text or "max" in text):
        for m in _INTEL_DC.finditer(text):
            found.append(GpuModel("intel", m.group(1) + m.group(2), m.start()))
    amd = has(text, ("amd", "radeon", "instinct", "firepro")) and bool(_AMD_CONTEXT.search(text))
    if amd and "mi" in text:
        found.extend(GpuModel("amd", m.group(1), m.start()) for m in _INSTINCT.finditer(text))
    if "radeon" in text:
        for m in _RADEON_PRO.finditer(text):
            found.append(GpuModel("amd", m.group(1) + m.group(2) + m.group(3), m.start()))
        for m in _RADEON_OTHER.finditer(text):
            found.append(GpuModel("amd", m.group(1).replace(" ", ""), m.start()))
    if "firepro" in text:
        found.extend(GpuModel("amd", m.group(1), m.start()) for m in _FIREPRO.finditer(text))
    # "RX 580" alone could be Fujitsu's RX2540 server, so RX needs an AMD or card context.
    if "rx" in text and (amd or _AMD_BOARD.search(text)):
        for m in _RADEON_RX.finditer(text):
            found.append(GpuModel("amd", m.group(1) + (m.group(2) or ""), m.start()))
    found.sort(key=lambda g: g.start)
    seen: set[str] = set()
    unique: list[GpuModel] = []
    for gpu in found:
        if gpu.model not in seen:
            seen.add(gpu.model)
            unique.append(gpu)
    return tuple(unique)


def evidence(title: Title) -> float:
    """How strongly the title reads as a graphics/compute card listing."""
    text = title.text
    score = 0.0
    if find_models(text):
        score += 4.0
    if has(text, _NOUN_WORDS) and _GPU_NOUN.search(text) and not _NO_GPU.search(text):
        score += 2.0
    if ("ddr" in text or "hbm" in text) and _VRAM_KIND.search(text):
        score += 2.0
    if has(text, _BRAND_WORDS) and _BRAND_WORD.search(text):
        score += 1.0
    return score


def parse(title: Title) -> Parsed:
    """Manufacturer, model and VRAM (stated, else the SKU's only size)."""
    text = title.text
    parsed = Parsed(expected=("manufacturer", "model", "vram_gb"))
    attrs = parsed.attributes
    models = find_models(text)
    if models:
        first = models[0]
        attrs["manufacturer"] = first.manufacturer
        attrs["model"] = first.model
        if len({m.model for m in models}) > 1:
            parsed.doubts += 1
    elif re.search(r"\b(?:nvidia|geforce|quadro|tesla)\b", text):
        attrs["manufacturer"] = "nvidia"
    elif re.search(r"\b(?:radeon|instinct|firepro)\b", text):
        attrs["manufacturer"] = "amd"
    vram = _vram(text)
    sizes = _VRAM_TABLE.get((attrs.get("manufacturer", ""), attrs.get("model", "")))
    if vram is not None:
        attrs["vram_gb"] = vram
        if sizes and vram not in sizes:
            parsed.doubts += 1
    elif sizes and len(sizes) == 1:
        attrs["vram_gb"] = sizes[0]
    return parsed


def _vram(text: str) -> int | None:
    typed = _VRAM_TYPED.search(text)
    if typed:
        return int(typed.group(1))
    for match in _VRAM.finditer(text):
        value = int(match.group(1))
        if 1 <= value <= 192:
            return value
    return None
