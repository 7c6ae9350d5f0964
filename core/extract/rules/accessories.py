"""Accessory detection: parts named after the product they fit are `other`.

Each accessory noun lists the types whose listings may mention it as part of the item
("Dell R630 2x E5-2680v4 128GB Rails" is a server; "HDD ... Caddy" is a drive). The
classifier keeps such a type only when its own evidence is complete; otherwise the
accessory is the item.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.extract.rules.text import tokens_before
from core.models import ComponentType

_S = ComponentType.SERVER
_W = ComponentType.WORKSTATION
_D = ComponentType.DESKTOP
_DRIVE = ComponentType.DRIVE
_GPU = ComponentType.GPU
_NIC = ComponentType.NIC
_CPU = ComponentType.CPU
_RAM = ComponentType.RAM


@dataclass(frozen=True, slots=True)
class _Kind:
    name: str
    pattern: str
    hosts: frozenset[ComponentType]
    internal: bool = False  # counted parts of a system ("2x PSU", "Dual PSU") are not items
    generic: bool = False  # a vague part noun ("board", "module"): other, but not confidently


_KINDS: tuple[_Kind, ...] = (
    _Kind(
        "rails",
        r"rail\s?kit|rails?|ready\s?rails|schienen|sliding\s+rails?|cable\s+management\s+arm",
        frozenset({_S, _W}),
    ),
    _Kind("bezel", r"bezel|frontblende|front\s+blende", frozenset({_S, _W, _D})),
    _Kind(
        "caddy",
        r"caddy|caddies|caddys|trays?|sleds?|einbaurahmen|hot[- ]?swap\s+bracket|"
        r"drive\s+carriers?|hdd\s+carriers?|festplattenrahmen",
        frozenset({_DRIVE, _S, _CPU}),  # "Tray" is also OEM CPU packaging
    ),
    _Kind("cage", r"drive\s+cage|hdd\s+cage|bay\s+cage|festplattenkäfig", frozenset({_S, _W})),
    _Kind("backplane", r"backplanes?", frozenset({_S})),
    _Kind("riser", r"risers?|riser\s?cards?", frozenset({_S, _W}), internal=True),
    _Kind(
        "heatsink",
        r"heat\s?sinks?|kühlkörper|coolers?|kühler|cooling\s+kit",
        frozenset({_S, _W, _D, _CPU, _RAM, _GPU}),  # passive GPUs and gaming RAM carry heatsinks
        internal=True,
    ),
    _Kind("fan_kit", r"fan\s+kits?|cooling\s+fans?|fan\s+shrouds?|blower\s+kit", frozenset()),
    _Kind(
        "fan",
        r"fans?|fan\s+modules?|fan\s+assembly|lüfter|luefter",
        frozenset({_S, _W, _D, _GPU}),
        internal=True,
    ),
    _Kind("shroud", r"shrouds?|air\s+baffles?|baffles?|air\s+ducts?", frozenset()),
    _Kind(
        "psu",
        r"psus?|power\s+supply|power\s+supplies|netzteile?|power\s+supply\s+unit|"
        r"(?:ac\s+|power\s+)adapters?|power\s+bricks?|chargers?",
        frozenset({_S, _W, _D}),
        internal=True,
    ),
    _Kind(
        "cable",
        r"cables?|kabel|dac|breakout|power\s+cords?|pigtails?|adapter\s+cable",
        frozenset({_S, _W, _D}),  # "EliteDesk 800 G2 i5 8GB 500GB + Power Cable" is the PC
    ),
    _Kind("bracket", r"brackets?|slotblech|halteblech", frozenset({_GPU, _NIC, _DRIVE})),
    _Kind(
        "board",
        r"motherboards?|mainboards?|system\s?boards?|logic\s+boards?|board\s+only|"
        r"mobo|hauptplatine",
        frozenset(),
    ),
    # A bare circuit board ("PCB Board For RTX 4090"); unlike a motherboard it can also be
    # something a card comes with ("with PCB shroud").
    _Kind("pcb", r"pcbs?", frozenset()),
    _Kind(
        "controller",
        r"raid\s+controller|raid\s+card|raid\s+adapter|raid|hba|perc|megaraid|"
        r"smart\s?array|storage\s+controller|array\s+controller|"
        r"(?<!ethernet )(?<!network )(?<!lan )controller|"
        r"h(?:310|330|345|350|355|700|710p?|730p?|740p|750|755n?|810|830|840)|"
        r"p[248]\d{2}(?:ar|i)(?:-[ap])?|9[2-5]\d{2}-(?:4|8|16|24)[ie]|boss-s\d|"
        r"bbu|battery|supercap|fbwc|cache\s+module",
        frozenset({_S, _W, _DRIVE}),  # "RAID Edition" drives
    ),
    _Kind(
        "transceiver",
        r"transceivers?|gbics?|optics?|optical\s+modules?|sfp\+?\s+modules?|"
        r"sfp28\s+modules?|qsfp\S*\s+modules?|aoc(?!-)|"  # Supermicro cards are "AOC-..."
        r"q?sfp\d*-\d+g-[a-z0-9]+|glc-[a-z0-9]+|ftl[xf]\w+|\d+g?base-(?:sr|lr|er|zr)\d?|[sl]r4",
        frozenset({_NIC}),  # "NIC + 2x SR optics"; a transceiver alone has no port count
    ),
    _Kind(
        "junk",
        r"empty\s+lot|spare\s+parts|parts\s+box|box\s+of\s+(?:server\s+)?parts|mixed\s+lot|"
        r"scrap|junk|ersatzteile|empty\s+box|box\s+only|retail\s+box\s+only|packaging",
        frozenset(),
    ),
    _Kind(
        "panel",
        r"access\s+(?:door|panel|cover)|side\s+(?:panel|cover)|top\s+cover|front\s+panel|dust\s+filter|"
        r"face\s?plate|lid|seitenteil|abdeckung",
        frozenset(),
    ),
    _Kind(
        "card",
        r"(?<!dual )(?<!quad )(?<!single )(?<!\d-)(?<!\d )port\s+card|"
        r"idrac\s+(?:port\s+)?(?:card|module)|ilo\s+module|licen[cs]e|lizenz|"
        r"sd\s+card\s+module|idsdm|tpm(?:\s+module)?",
        frozenset({_S}),
    ),
    _Kind(
        "kit",
        r"conversion\s+kit|flex\s+bay(?:\s+kit)?|rear\s+bay|bay\s+kit|rack\s?mount\s+kit|"
        r"rack\s+ears|mounting\s+kit|screws?|screw\s+kit",
        frozenset(),
    ),
    _Kind("blank", r"blanks?|blanking|fillers?|dummy|dummies", frozenset({_S}), internal=True),
    _Kind(
        "adapter",
        r"(?:m\.2|u\.2|nvme|ssd|sata|hdd|drive|2\.5\"?|3\.5\"?)\s(?:to\s\S+\s)?"
        r"(?:adapter|converter|adapter\s+card)",
        frozenset(),
    ),
    _Kind(
        "waterblock",
        r"water\s?blocks?|water\s+cooling\s+blocks?|cooling\s+blocks?|backplate",
        frozenset(),
    ),
    _Kind(
        "network_gear",
        r"switch|router|firewall|access\s+point|kvm|ups|pdu|nas",
        frozenset({_DRIVE, _RAM}),  # "NAS hard drive", "NAS memory upgrade"
    ),
    _Kind(
        "laptop",
        r"laptops?|notebooks?|thinkpad|thinkbook|ideapad|latitude|macbook|elitebook|probook|"
        r"zbook|chromebook|vivobook|zenbook",
        frozenset({_RAM, _DRIVE, _CPU, _GPU}),
    ),
    _Kind("chassis", r"empty\s+chassis|chassis\s+only|gehäuse", frozenset()),
    _Kind(
        "sundries",
        r"harness|thermal\s+(?:paste|pads?|compound)|mining\s+(?:frame|rig)|rack\s+shelf|"
        r"shelf|sticker|labels?|manuals?|tapes?|lto-?\d|ultrium|disk\s+shelf|storage\s+array|"
        r"jbod|enclosure|powervault|equallogic|nvlink|sli\s+bridge|socket\s+(?:cover|protector)|"
        r"thermal\s+grease|quick\s+start\s+guides?|user\s+guides?|guide\s+books?|documentation",
        frozenset(),
    ),
    _Kind("part_board", r"boards?", frozenset({_S, _W, _D, _NIC}), generic=True),
    # A bundle of one component is that component; of several (CPU + RAM + board) it is other.
    _Kind(
        "bundle",
        r"combo|bundle|konvolut",
        frozenset({_S, _W, _D, _RAM, _DRIVE, _CPU, _NIC, _GPU}),
        generic=True,
    ),
    _Kind(
        "part_module",
        r"(?<!memory )(?<!ram )(?<!dimm )(?<!speicher )modules?",
        frozenset({_S, _W, _D, _DRIVE, _NIC, _GPU, _RAM}),
        generic=True,
    ),
    _Kind("part_assembly", r"assembly|assemblies", frozenset({_S, _W, _D, _DRIVE}), generic=True),
)

# One plain alternation finds candidates fast (named groups would defeat the regex engine's
# first-character skip); each hit is then attributed to its kind.
_ANY = re.compile(r"\b(?=[a-z0-9])(?:" + "|".join(f"(?:{k.pattern})" for k in _KINDS) + r")\b")
_EACH = tuple((kind, re.compile(f"(?:{kind.pattern})")) for kind in _KINDS)
# Words that make a following accessory part of the item: "with"-like ones always, joining
# ones ("+", "and") only for accessories some item can carry.
_WITH = re.compile(r"^(?:with|w/|mit|incl\.?|inkl\.?|including|includes|samt)$")
_JOINED = re.compile(r"^(?:with|w/|mit|incl\.?|inkl\.?|including|includes|samt|\+|&|and)$")
_NEGATED = re.compile(r"^(?:no|without|w/o|ohne|missing|sans)$")
_COUNTED = re.compile(r"^(?:\d{1,2}x|x\d{1,2}|dual|redundant|twin|triple|quad)$")
_NUMBER = re.compile(r"^\d{1,2}$")
_INCLUDED_AFTER = re.compile(r"^\s*(?:included|inkl\.?|inklusive|incl\.?)\b")
# "(FAN AND HEAT SINK ONLY)", "Tray only": the part is the whole item, whatever it fits.
_ONLY_AFTER = re.compile(r"^\s*\)?\s*only\b")
_WITH_ANYWHERE = re.compile(r"\b(?:with|w/|mit|including|includes)\s")


@dataclass(frozen=True, slots=True)
class Accessory:
    """Accessory nouns that name the item, and the types that may host them all."""

    kinds: tuple[str, ...]
    hosts: frozenset[ComponentType]
    generic: bool = False  # only vague part nouns matched
    sole: bool = False  # the title says the part is all there is ("... only")


def find_accessory(main: str) -> Accessory | None:
    """Accessory nouns in the item part of a title that are not merely included or counted."""
    kinds: list[str] = []
    hosts: frozenset[ComponentType] | None = None
    generic = True
    sole = False
    for match in _ANY.finditer(main):
        kind = next((k for k, pattern in _EACH if pattern.fullmatch(match.group())), None)
        if kind is None:
            continue
        only = "only" in main and bool(_ONLY_AFTER.match(main[match.end() :]))
        # "(FAN AND HEAT SINK ONLY)": a part the title says is all there is counts even
        # when joined to another; only a negation ("no tray only") undoes it.
        if _negated(main, match.start()) if only else _excluded(main, *match.span(), kind):
            continue
        kinds.append(kind.name)
        hosts = kind.hosts if hosts is None else hosts & kind.hosts
        generic = generic and kind.generic
        sole = sole or only
    if not kinds or hosts is None:
        return None
    return Accessory(tuple(kinds), hosts, generic, sole)


def _negated(text: str, start: int) -> bool:
    """Whether one of the two words before a match negates it ("No HDD", "No Power Cables")."""
    return any(_NEGATED.match(token) for token in tokens_before(text, start, 2))


def _excluded(text: str, start: int, end: int, kind: _Kind) -> bool:
    before = tokens_before(text, start, 3)
    if _negated(text, start):
        return True
    joined = _JOINED if kind.hosts else _WITH  # "CPU + RAM + Motherboard" is a bundle
    if kind.name != "board" and (
        any(joined.match(token) for token in before)
        # Everything after "with" is what the item comes with ("RTX 4090 with original box
        # and PCB shroud"), however many words later.
        or _WITH_ANYWHERE.search(text, 0, start)
    ):
        return True
    if kind.internal and (
        any(_COUNTED.match(token) for token in before[-2:])
        or (before and _NUMBER.match(before[-1]))  # "2 PSU", but not "Freezer 34 CPU Cooler"
    ):
        return True
    return bool(_INCLUDED_AFTER.match(text[end:]))
