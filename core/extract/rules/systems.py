"""Workstations and desktops: manufacturer and model (with the line name where needed)."""

from __future__ import annotations

import re

from core.extract.rules.lexicon import COMPONENT_NOUNS, system_brand
from core.extract.rules.parsed import Parsed
from core.extract.rules.server import SystemModel, configuration
from core.extract.rules.text import Title, has

_PRECISION = re.compile(
    r"\bprecision\s+(?:workstation\s+|tower\s+|rack\s+)?(t?\d{4})(?:\s?(xl|rack))?\b"
)
_DELL_T = re.compile(r"\b(t[1357]\d{3})\b")
# Towers whose canonical name carries the T (Dell's own names up to the x910 generation,
# and the 7920 that DOMAIN.md keys as "t7920"); later towers key as "precisionNNNN".
_PRECISION_T = frozenset(
    {
        "1500",
        "1600",
        "1650",
        "1700",
        "3400",
        "3500",
        "3600",
        "3610",
        "5400",
        "5500",
        "5600",
        "5610",
        "5810",
        "7400",
        "7500",
        "7600",
        "7610",
        "7810",
        "7910",
        "7920",
    }
)
# "Z2 G4", "Z2 Mini G4", "Z2 SFF G5", "Z2 Tower G9", and "Z2 G9 Mini" with the size last.
_HP_Z = re.compile(
    r"\bz([1-8])\s?(mini|fury)?\s?(?:(?:sff|tower|twr|small\s+form\s+factor)\s+)?g([1-9])\b"
    r"(?:\s+(mini)\b)?"
)
_HP_Z_OLD = re.compile(r"\bz(2[1-4]0|[468][0-4]0)\b")
_THINKSTATION = re.compile(
    r"\bthinkstation\s+(p\d{3}[a-z]?|p\d{1,2}|px|[sdce]\d{2})\b(?:\s+(ultra|tiny|tower)\b)?"
)
# Dell's 2025 names: Pro Max workstations and Pro business desktops, keyed by line and size.
_PRO_MAX = re.compile(r"\bdell\s+pro\s?max\s+(?:tower\s+)?(t\d|micro|slim|mini)\b")
_DELL_PRO = re.compile(r"\bdell\s+pro\s+(slim|micro|tower|sff|mini)\b")
_LENOVO_P = re.compile(r"\b(p[3-9][0-9]0[a-z]?)\b(?!\s?\d)")
_CELSIUS = re.compile(r"\bcelsius\s+([mwrhj]\d{3,4}[a-z]?)\b")
_MAC_PRO = re.compile(r"\bmac\s?pro\b")

_OPTIPLEX = re.compile(r"\boptiplex\s+(?:micro\s+)?(\d{3,4}[a-z]?)(?:\s?(plus))?\b")
# "Dell 7080 Micro", "Dell 3060 SFF": an OptiPlex number with its form factor, line word left off.
_DELL_BARE_OPTIPLEX = re.compile(
    r"\bdell\s+([3579]0[1-9]0)\s+(?:micro|mff|sff|usff|mt|dt|tower|desktop|small\s+form)\b"
)
_HP_DESK = re.compile(
    r"\b(elite\s?desk|pro\s?desk|elite\s?mini|elite\s?tower|elite\s?sff|pro\s?mini|pro\s?tower|"
    r"pro\s?sff|elite\s?one|pro\s?one)\s+(\d{3})\s?(?:(?:sff|mt|dm|mini|tower|usff|desktop\s+mini)"
    r"\s+)?g(\d{1,2})\b"
)
# The generation may follow the form word ("M90q Tiny Gen 1") and is "G3" on neo models.
_THINKCENTRE = re.compile(
    r"\bthinkcentre\s+(?:tiny\s+)?(m\d{2,4}[a-z]?|neo\s?\d{2}[a-z]?|e\d{2}|a\d{2})"
    r"(?:(?:\s+(?:tiny|sff|tower|desktop))?\s?(?:gen\s?|g)(\d))?\b"
)
_LENOVO_M = re.compile(r"\b(m\d{2,3}[qstpe]?)(?:(?:\s+(?:tiny|sff|tower))?\s?gen\s?(\d))?\b")
_NUC = re.compile(r"\bnuc\s?(\d{1,2}[a-z]{1,3}\w*)\b")
_ESPRIMO = re.compile(r"\besprimo\s+([a-z]\d{3,4}[a-z]?)\b")
_VOSTRO = re.compile(r"\b(vostro|inspiron)\s+(\d{4})\b")

_HP = re.compile(r"\bhpe?\b")
_Z_GEN = re.compile(r"\bz\d\s?g\d")
_DESKTOP_FORM = re.compile(r"\b(?:desktop|tower|sff|mt|small\s+form)\b")
# Product lines that name a machine even when the model number is missing or unknown.
_WORKSTATION_LINES = ("precision", "thinkstation", "celsius")
_DESKTOP_LINES = (
    "optiplex", "elitedesk", "elite desk", "prodesk", "pro desk", "thinkcentre", "elite mini",
    "pro mini", "esprimo",
)  # fmt: skip
_WORKSTATION_NOUN = re.compile(rf"\b(?:workstation|arbeitsstation)\b(?!\s+{COMPONENT_NOUNS})")
_DESKTOP_NOUN = re.compile(
    rf"\b(?:desktop|tiny|micro|mini\s?pc|usff|small\s+form\s+factor|all[- ]in[- ]one|"
    rf"computer|pc)\b(?!\s+{COMPONENT_NOUNS})"
)
# Words that name a whole unbranded machine ("Gaming PC", "Mini PC", "barebones build").
_MACHINE_NOUN = re.compile(
    rf"\b(?:gaming\s+(?:pc|desktop|computer|tower|rig)|mini\s?pc|desktop\s+(?:pc|computer|tower)|"
    rf"tower\s+(?:pc|desktop)|pc\s+build|custom\s+build|barebones?\s+build)\b"
    rf"(?!\s+{COMPONENT_NOUNS})"
)
# Mini-PC makers' own model grammar.
_MINI_PC = re.compile(
    r"\b(beelink)\s+(ser\d|eq\d{1,2}|gtr\d|gti\d{1,2}|mini\s?s\d{1,2})(?:\s?(pro|max|plus))?\b|"
    r"\b(minisforum)\s+(um\d{3,4}|ms-\d{2}|[a-z]{2}\d{3,4})\b"
)
_FORM_WORDS = re.compile(r"\b(?:tower|sff|mt|dm|mini|usff|micro|rack|barebones?)\b")
_OS = re.compile(r"\b(?:win(?:dows)?\s?1[01]|win\s?7|no\s+os|wifi|wi-fi|keyboard)\b")


def find_workstation(main: str) -> SystemModel | None:
    """The first workstation model in the item part of a title."""
    found: list[SystemModel] = []
    if "precision" in main:
        for m in _PRECISION.finditer(main):
            model = _precision(m.group(1)) + (m.group(2) or "")
            found.append(SystemModel("dell", model, m.start()))
    if "dell" in main or "precision" in main:
        for m in _DELL_T.finditer(main):
            found.append(SystemModel("dell", _precision(m.group(1)), m.start()))
    if "z" in main and (_HP.search(main) or _Z_GEN.search(main)):
        for m in _HP_Z.finditer(main):
            model = f"z{m.group(1)}{m.group(2) or m.group(4) or ''}g{m.group(3)}"
            found.append(SystemModel("hp", model, m.start()))
        for m in _HP_Z_OLD.finditer(main):
            found.append(SystemModel("hp", f"z{m.group(1)}", m.start()))
    if "thinkstation" in main:
        for m in _THINKSTATION.finditer(main):
            found.append(SystemModel("lenovo", _thinkstation(m.group(1), m.group(2)), m.start()))
    if "pro" in main and "dell" in main:
        for m in _PRO_MAX.finditer(main):
            found.append(SystemModel("dell", f"promax{m.group(1)}", m.start()))
    if "lenovo" in main and not has(main, ("quadro", "nvidia")):
        found.extend(SystemModel("lenovo", m.group(1), m.start()) for m in _LENOVO_P.finditer(main))
    if "celsius" in main:
        for m in _CELSIUS.finditer(main):
            found.append(SystemModel("fujitsu", f"celsius{m.group(1)}", m.start()))
    if "mac" in main:
        found.extend(SystemModel("apple", "macpro", m.start()) for m in _MAC_PRO.finditer(main))
    return min(found, key=lambda s: s.start) if found else None


def _thinkstation(model: str, size: str | None) -> str:
    """Single-digit ThinkStations come in several sizes that are different machines
    ("P3 Ultra", "P3 Tower"); three-digit ones ("P520 Tower") name one machine."""
    return model + size if size and len(model) == 2 else model


def _precision(number: str) -> str:
    """One key per Precision tower whichever way the seller spells it ("T5820" or "5820")."""
    digits = number.lstrip("t")
    return f"t{digits}" if digits in _PRECISION_T else f"precision{digits}"


def find_desktop(main: str) -> SystemModel | None:
    """The first desktop model in the item part of a title."""
    found: list[SystemModel] = []
    if "optiplex" in main:
        for m in _OPTIPLEX.finditer(main):
            model = f"optiplex{m.group(1)}{m.group(2) or ''}"
            found.append(SystemModel("dell", model, m.start()))
    if "dell" in main:
        for m in _DELL_BARE_OPTIPLEX.finditer(main):
            found.append(SystemModel("dell", f"optiplex{m.group(1)}", m.start()))
        for m in _DELL_PRO.finditer(main):
            found.append(SystemModel("dell", f"pro{m.group(1)}", m.start()))
    if has(main, ("elite", "pro")):
        for m in _HP_DESK.finditer(main):
            line = m.group(1).replace(" ", "")
            found.append(SystemModel("hp", f"{line}{m.group(2)}g{m.group(3)}", m.start()))
    if "thinkcentre" in main:
        for m in _THINKCENTRE.finditer(main):
            gen = f"gen{m.group(2)}" if m.group(2) else ""
            found.append(SystemModel("lenovo", m.group(1).replace(" ", "") + gen, m.start()))
    if "lenovo" in main and not found:
        for m in _LENOVO_M.finditer(main):
            gen = f"gen{m.group(2)}" if m.group(2) else ""
            found.append(SystemModel("lenovo", m.group(1) + gen, m.start()))
    if "intel" in main and "nuc" in main:
        found.extend(
            SystemModel("intel", f"nuc{m.group(1)}", m.start()) for m in _NUC.finditer(main)
        )
    if "esprimo" in main:
        for m in _ESPRIMO.finditer(main):
            found.append(SystemModel("fujitsu", f"esprimo{m.group(1)}", m.start()))
    if has(main, ("beelink", "minisforum")):
        for m in _MINI_PC.finditer(main):
            maker = m.group(1) or m.group(4)
            model = "".join(g for g in (m.group(2), m.group(3), m.group(5)) if g)
            found.append(SystemModel(maker, model.replace(" ", ""), m.start()))
    if has(main, ("vostro", "inspiron")) and _DESKTOP_FORM.search(main):
        for m in _VOSTRO.finditer(main):
            found.append(SystemModel("dell", f"{m.group(1)}{m.group(2)}", m.start()))
    return min(found, key=lambda s: s.start) if found else None


def described(main: str) -> bool:
    """Whether a workstation/desktop title says more than a model name."""
    return bool(
        configuration(main) > 0
        or ("station" in main and _WORKSTATION_NOUN.search(main))
        or _DESKTOP_NOUN.search(main)
        or _OS.search(main)
        or _FORM_WORDS.search(main)
    )


def workstation_evidence(title: Title, model: SystemModel | None) -> float:
    """How strongly the title reads as a workstation listing."""
    main = title.main
    score = 5.0 if model else 3.0 if has(main, _WORKSTATION_LINES) else 0.0
    if "station" in main and _WORKSTATION_NOUN.search(main):
        score += 2.0
    if model or score:
        score += configuration(main) + (0.5 if _OS.search(main) else 0.0)
    return score


def desktop_evidence(title: Title, model: SystemModel | None) -> float:
    """How strongly the title reads as a desktop PC listing."""
    main = title.main
    line = model is None and has(main, _DESKTOP_LINES)
    noun = bool(_DESKTOP_NOUN.search(main))
    # An unbranded machine: called one outright, or a PC noun over a processor-and-memory list.
    generic = model is None and bool(
        _MACHINE_NOUN.search(main) or (noun and configuration(main) >= 2.0)
    )
    score = 5.0 if model else 3.0 if line or generic else 0.0
    if noun:
        score += 1.0
    if _OS.search(main):
        score += 1.0
    if model or line or generic:
        score += configuration(main)
    return score


def parse(model: SystemModel | None, main: str) -> Parsed:
    """Manufacturer and model of a workstation or desktop."""
    parsed = Parsed(expected=("manufacturer", "model"))
    if model:
        parsed.attributes["manufacturer"] = model.manufacturer
        parsed.attributes["model"] = model.model
    else:
        maker = system_brand(main)
        if maker:
            parsed.attributes["manufacturer"] = maker
    return parsed
