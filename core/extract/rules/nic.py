"""Network cards: speed, port count and port type, from words, chips and part numbers."""

from __future__ import annotations

import re

from core.extract.rules.parsed import Parsed
from core.extract.rules.text import Title, has

_NIC_NOUN = re.compile(
    r"\b(?:nics?|network\s+(?:adapter|card|interface\s+card|interface|controller|daughter\s+card)|"
    r"ethernet\s+(?:adapter|card|controller|network\s+adapter)|server\s+adapter|"
    r"lan\s+(?:card|adapter)|netzwerkkarte|netzwerkadapter|converged\s+network\s+adapter|"
    r"cna|mezz(?:anine)?\s+card|mezz|ocp(?:\s?[23]\.0)?|m?lom|flr|vic|ndc|infiniband|hca|"
    r"pcie\s+adapter|adapter\s+card|ethernet)\b"
)
_SPEED = re.compile(
    r"(?<![\w./])(1|10|25|40|50|56|100|200)[\s-]?(?:gbe|gbit(?:/s)?|gbps|gb/s|g|gig|gigabit|"
    r"gb\s+ethernet)(?![\w])|(?<![\w./])(1|10|25|40|100)\s?g?base-?(?:t|sr|lr|x|cr|kr)\b"
)
# "10Gb" is how many sellers write link speed, but "100GB"/"200GB" are also SSD sizes, so the
# bare byte unit counts only in a title that is otherwise about networking.
_BYTE_SPEED = re.compile(r"(?<![\w./])(1|10|25|40|100)\s?gb(?![\w/])")
_ODD_SPEED = re.compile(r"(?<![\w./])(?:50|56)\s?(?:gbe|gb|g)\b|\bfdr\b")
_GIGABIT = re.compile(r"\bgigabit\b|\b1000\s?base-?t\b|\b10/100/1000\b|\bgbe\b")
_SLASH_SPEED = re.compile(r"\b(1|10|25|40|50|100)/(10|25|40|50|100|200)\s?(?:gbe|gb|g)\b")
_IB_SPEED = re.compile(r"\b(edr|hdr100|hdr)\b")
_PORT_TYPES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bqsfp56\b"), "QSFP56"),
    (re.compile(r"\bqsfp28\b"), "QSFP28"),
    (re.compile(r"\bqsfp(?:\+|\s?plus|p\b|\b)(?!\d)"), "QSFP+"),
    (re.compile(r"\bsfp28\b"), "SFP28"),
    (re.compile(r"\bsfp(?:\+|\s?plus|p\b)"), "SFP+"),
    (re.compile(r"\brj-?45\b|\bbase-?t\b|\bcopper\b|\b1000base-?t\b|\b10gbase-?t\b"), "RJ45"),
)
_PORT_WORDS = re.compile(
    r"\b(single|dual|quad|one|two|four|\d{1,2})[- ]?(?:ports?\b|p\b)|"
    r"\b(single|dual|quad)\s+(?:sfp|qsfp|rj45|10g|25g|40g|100g|gigabit|1g|channel|link|"
    r"\d(?:\.\d)?\s?(?:gbe|gbit|gb|g)\b)|"
    r"\b(\d)\s?x\s?(?:sfp\S*|qsfp\S*|rj-?45|1|10|25|40|100)\s?(?:g\b|gb|gbe|ports?|$)?"
)
_SUFFIX_PORTS = re.compile(r"\b[a-z]*\d{3,4}-(?:t|da|xxvda|qda|cqda|sr|f|lr)(\d)\b")
# Intel names a copper card by "-T" and its port count (I340-T4, X550-T2, I210-T1).
_COPPER_SUFFIX = re.compile(r"\b[ix]\d{3}-?t([1248])\b")
_MELLANOX = re.compile(r"\bm?cx([345])(\d)(\d)")
_WORD_COUNT = {"single": 1, "one": 1, "dual": 2, "two": 2, "quad": 4, "four": 4}
_SPEED_TYPE = {25: "SFP28", 40: "QSFP+", 100: "QSFP28", 200: "QSFP56"}
_TYPE_SPEED = {"SFP+": 10, "SFP28": 25, "QSFP+": 40, "QSFP28": 100, "QSFP56": 200}
_VALID_SPEEDS = {1: "1GbE", 10: "10GbE", 25: "25GbE", 40: "40GbE", 100: "100GbE", 200: "200GbE"}

# Chips and branded cards whose speed/port type/ports are fixed: (pattern, speed, type, ports).
_CHIPS: tuple[tuple[re.Pattern[str], int | None, str | None, int | None], ...] = tuple(
    (re.compile(rf"\b(?:{pattern})\b"), speed, port_type, ports)
    for pattern, speed, port_type, ports in (
        (r"x520-?(?:da|sr)1", 10, "SFP+", 1),
        (r"x520-?(?:da|sr)2", 10, "SFP+", 2),
        (r"x520|82599\w*", 10, "SFP+", None),
        (r"x540-?t1|x550-?t1", 10, "RJ45", 1),
        (r"x540-?t2|x550-?t2", 10, "RJ45", 2),
        (r"x540|x550", 10, "RJ45", None),
        (r"x710-?da2", 10, "SFP+", 2),
        (r"x710-?da4", 10, "SFP+", 4),
        (r"x710-?t4l?", 10, "RJ45", 4),
        (r"x710", 10, None, None),
        (r"xxv710-?da2", 25, "SFP28", 2),
        (r"xxv710\w*", 25, "SFP28", None),
        (r"xl710-?qda1", 40, "QSFP+", 1),
        (r"xl710-?qda2", 40, "QSFP+", 2),
        (r"xl710\w*", 40, "QSFP+", None),
        (r"e810-?xxvda2", 25, "SFP28", 2),
        (r"e810-?xxvda4", 25, "SFP28", 4),
        (r"e810-?cqda1", 100, "QSFP28", 1),
        (r"e810-?cqda2", 100, "QSFP28", 2),
        (r"i350-?t2(?:v2)?", 1, "RJ45", 2),
        (r"i350-?t4(?:v2)?", 1, "RJ45", 4),
        (r"i350\w*|i210\w*|i340\w*|82576\w*|82571\w*", 1, None, None),
        (r"(?:bcm)?5719", 1, "RJ45", 4),
        (r"(?:bcm)?5720", 1, "RJ45", 2),
        (r"(?:bcm)?57416", 10, "RJ45", 2),
        (r"(?:bcm)?57412", 10, "SFP+", 2),
        (r"(?:bcm)?57414", 25, "SFP28", 2),
        (r"(?:bcm)?57810s?", 10, None, 2),
        (r"(?:bcm)?57840s?", 10, None, 4),
        (r"connectx-?4\s?lx|m?cx4[12]21a\w*", 25, "SFP28", None),
        (r"connectx-?3(?:\s?pro)?\s+en|m?cx31[12]\w*", 10, "SFP+", None),
        (r"m?cx3[15][34]a\w*", None, "QSFP+", None),
        (r"m?cx4[145][56]a\w*|m?cx5[15][56]a\w*", 100, "QSFP28", None),
        (r"m?cx512a\w*", 25, "SFP28", 2),
        (r"m?cx6[35]310[56]a\w*", 200, "QSFP56", None),
        (r"561t|530t", 10, "RJ45", 2),
        (r"56[02]sfp\+?|530sfp\+?|546sfp\+?|534flr\S*|560flr\S*|562flr\S*", 10, "SFP+", 2),
        (r"331t|366t|331flr|366flr", 1, "RJ45", 4),
        (r"332t|361t|332flr|361flr", 1, "RJ45", 2),
        (r"6[34][01]sfp28|640flr\S*|631flr\S*", 25, "SFP28", 2),
        (r"544\+?qsfp|544\+?flr\S*", 40, "QSFP+", 2),
        (r"t520\S*|sfn[5-8]\d22f?\S*|qle8442|ql41112\S*", 10, "SFP+", 2),
        (r"t62100\S*", 100, "QSFP28", 2),
        (r"t6225\S*|ql41262\S*", 25, "SFP28", 2),
        (r"t580\S*", 40, "QSFP+", 2),
        (r"vic\s?122[57]|ucsc-mlom-csc-02", 10, "SFP+", 2),
        (r"vic\s?138[57]", 40, "QSFP+", 2),
        (r"vic\s?145[57]|ucsc-pcie-c25q-04", 25, "SFP28", 4),
        (r"vic\s?149[57]", 100, "QSFP28", 2),
    )
)
_CHIP_ANY = re.compile(
    r"\b(?:connectx-?\d|m?cx\d{3,4}a\w*|mcx\d{3,6}\w*|x520|x540|x550|x710|xl710|xxv710|e810|"
    r"i350|i210|i340|8257\d|82599|bcm57\d{2,3}|bcm5719|bcm5720|5719|5720|ql4\d{4}\w*|"
    r"fastlinq|chelsio|t5\d{2}|t6\d{3,4}|solarflare|sfn\d{4}\w*|oce\d{5}|561t|562sfp\S*|"
    r"530sfp\S*|530t|331t|332t|366t|544\+?qsfp|546sfp\S*|vic\s?1\d{3}|aoc-\w+|mellanox)\b"
)
# Substrings without which a title cannot be about a network card (a cheap first gate).
_GATE = (
    "nic", "network", "ethernet", "adapter", "netzwerk", "lan", "sfp", "rj", "base-t", "gbe",
    "gigabit", "gbit", "gbps", "gb/s", "connectx", "mellanox", "x520", "x540", "x550", "x710",
    "x722", "e810", "i350", "i210", "i340", "8257", "82599", "bcm", "broadcom", "5719", "5720",
    "574", "578", "chelsio", "solarflare", "sfn", "qlogic", "ql4", "emulex", "oce", "vic",
    "ocp", "mezz", "flr", "lom", "ndc", "cx3", "cx4", "cx5", "cx6", "mcx", "infiniband", "hca",
    "port", "10g", "25g", "40g", "100g", "200g", "561t", "530t", "331t", "332t", "366t", "544",
    "t520", "t62100", "t6225", "t580", "aoc-",
)  # fmt: skip
_MAKER_WORDS = frozenset({"mellanox", "chelsio", "solarflare", "fastlinq"})
_BRANDS = (
    ("mellanox", "mellanox"),
    ("nvidia", "nvidia"),
    ("intel", "intel"),
    ("broadcom", "broadcom"),
    ("chelsio", "chelsio"),
    ("solarflare", "solarflare"),
    ("qlogic", "qlogic"),
    ("emulex", "emulex"),
    ("cisco", "cisco"),
    ("supermicro", "supermicro"),
    ("hpe", "hpe"),
    ("hp", "hp"),
    ("dell", "dell"),
    ("lenovo", "lenovo"),
)


def evidence(title: Title) -> float:
    """How strongly the title reads as a network card listing."""
    text = title.text
    if not has(text, _GATE):
        return 0.0
    score = 0.0
    if _NIC_NOUN.search(text):
        score += 3.0
    if _port_types(text):
        score += 2.0
    if _speeds(text):
        score += 2.0
    if _CHIP_ANY.search(text):
        score += 3.0
    if _PORT_WORDS.search(text):
        score += 1.0
    return score


def _port_types(text: str) -> list[str]:
    if not has(text, ("sfp", "rj", "base-t", "baset", "copper")):
        return []
    return [name for pattern, name in _PORT_TYPES if pattern.search(text)]


def parse(title: Title) -> Parsed:
    """Speed, port count and port type; chips fill what the title leaves out."""
    text = title.text
    parsed = Parsed(expected=("speed", "port_count", "port_type"))
    speeds = _speeds(text)
    speed = max(speeds) if speeds else None
    # "56Gb FDR" names a speed outside the canonical set: do not guess one from the port.
    odd_speed = speed is None and bool(_ODD_SPEED.search(text))
    port_type = _port_type(text, speed)
    ports = _port_count(text)
    chip_speed, chip_type, chip_ports = _chip(text)
    if speed is None:
        speed = chip_speed
    if port_type is None:
        port_type = chip_type
    if port_type is None and "t" in text and _COPPER_SUFFIX.search(text):
        port_type = "RJ45"
    if ports is None:
        ports = chip_ports
    if speed is None and port_type is not None and not odd_speed:
        speed = _TYPE_SPEED.get(port_type)
    if port_type is None and speed is not None:
        port_type = _SPEED_TYPE.get(speed)
    attrs = parsed.attributes
    if speed in _VALID_SPEEDS:
        attrs["speed"] = _VALID_SPEEDS[speed]
    if port_type:
        attrs["port_type"] = port_type
    if ports is not None and 1 <= ports <= 16:
        attrs["port_count"] = ports
    for word, maker in _BRANDS:
        if re.search(rf"\b{word}\b", text):
            attrs["manufacturer"] = maker
            break
    chips = [m.group(0) for m in _CHIP_ANY.finditer(text) if m.group(0) not in _MAKER_WORDS]
    if chips:
        attrs["model"] = chips[0].replace(" ", "")[:40]
    return parsed


def _speeds(text: str) -> list[int]:
    found: list[int] = []
    for match in _SPEED.finditer(text):
        value = int(match.group(1) or match.group(2))
        if value in _VALID_SPEEDS:
            found.append(value)
    if _networking(text):
        found.extend(int(match.group(1)) for match in _BYTE_SPEED.finditer(text))
    for match in _SLASH_SPEED.finditer(text):
        found.append(int(match.group(2)))
    if not found and _GIGABIT.search(text):
        found.append(1)
    if not found:
        infiniband = _IB_SPEED.search(text)
        if infiniband:
            found.append(200 if infiniband.group(1) == "hdr" else 100)
    return [v for v in found if v in _VALID_SPEEDS]


def _port_type(text: str, speed: int | None) -> str | None:
    types = _port_types(text)
    if not types:
        return None
    if len(types) > 1 and speed is not None:
        for name in types:
            if _TYPE_SPEED.get(name) == speed:
                return name
    return types[0]


def _networking(text: str) -> bool:
    return bool(_NIC_NOUN.search(text) or _CHIP_ANY.search(text) or _port_types(text))


def _port_count(text: str) -> int | None:
    for match in _PORT_WORDS.finditer(text):
        word = match.group(1) or match.group(2) or match.group(3)
        count = int(word) if word.isdigit() else _WORD_COUNT.get(word)
        if count:
            return count
    suffix = _SUFFIX_PORTS.search(text)
    if suffix:
        return int(suffix.group(1))
    mellanox = _MELLANOX.search(text)
    if mellanox and mellanox.group(1) in "345":
        # ConnectX-3/4/5 part numbers: the third digit is odd for one port, even for two.
        return 2 if int(mellanox.group(3)) % 2 == 0 else 1
    return None


def _chip(text: str) -> tuple[int | None, str | None, int | None]:
    for pattern, speed, port_type, ports in _CHIPS:
        if pattern.search(text):
            return speed, port_type, ports
    return None, None, None
