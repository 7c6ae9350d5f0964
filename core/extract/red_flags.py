"""Red flags: title wording that announces a fault or casts doubt (English and German).

`find_red_flags` is pure and cheap enough to run on every listing. A `for_parts` flag
means the seller states a fault (dead, no power, cracked, SMART warning, defekt...): the
listing is treated as for parts. A `veto` flag means the seller casts doubt without
stating a fault (untested, as is, read description, BIOS password...): the condition
stays, but the listing never alerts. Saying what is not included ("no HDD", "ohne
Festplatte") is a barebone, never a flag; a negated fault ("no bad sectors", "ohne
Fehler", "SMART OK") is no flag either.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["EFFECTS", "FOR_PARTS", "VETO", "Effect", "RedFlag", "find_red_flags"]

Effect = Literal["for_parts", "veto"]
FOR_PARTS: Effect = "for_parts"
VETO: Effect = "veto"


@dataclass(frozen=True, slots=True)
class RedFlag:
    """One flag: a stable snake_case `code`, the `phrase` as it stands in the title (for
    showing users) and its `effect`."""

    code: str
    phrase: str
    effect: Effect


@dataclass(frozen=True, slots=True)
class _Rule:
    code: str
    effect: Effect
    gates: tuple[str, ...]  # every match contains one of these: most titles skip the regex
    pattern: re.Pattern[str]
    unless_near: frozenset[str] = frozenset()  # words next to a match that make it harmless


def _rule(
    code: str,
    effect: Effect,
    gates: tuple[str, ...],
    *alternatives: str,
    unless_near: frozenset[str] = frozenset(),
) -> _Rule:
    return _Rule(code, effect, gates, re.compile("|".join(alternatives)), unless_near)


# "Damaged box", "Verpackung beschädigt", "cosmetic crack": the packaging or the looks,
# not the item's function.
_PACKAGING = frozenset(
    {"box", "boxes", "packaging", "package", "packing", "carton", "retail", "seal", "ovp",
     "verpackung", "umverpackung", "karton", "label", "sticker", "cosmetic", "cosmetically",
     "optisch", "kosmetisch", "kosmetische", "optische"}
)  # fmt: skip

# Verbs that deny an action ("won't power on", "doesn't boot").
_DENY = (
    r"(?:won'?t|will\s+not|does\s+not|doesn'?t|did\s+not|didn'?t|can'?t|cannot|not|"
    r"unable\s+to|fails?\s+to|failed\s+to)"
)

# Flags come out in title order whatever the order here. Where two matches overlap, the
# earlier (then the longer, then the rule listed first) wins, so "SMART Fehler" is
# smart_warning and not also error.
_RULES: tuple[_Rule, ...] = (
    # --- for parts: the seller states a fault --------------------------------------------
    _rule(
        "parts_only", FOR_PARTS, ("part", "spare", "bastler", "ersatzteil", "teilespender"),
        r"\bfor\s+(?:parts|spares)\b", r"\bparts\s+only\b", r"\bas\s+parts\b",
        r"\bf(?:ü|ue|u)r\s+bastler\w*", r"\bbastler\w*", r"\bersatzteil(?:spender|träger)\b",
        r"\bteilespender\b", r"\bals\s+ersatzteile?\b",
    ),
    _rule(
        "for_repair", FOR_PARTS, ("repair", "reparatur", "need", "fix"),
        r"\bfor\s+repairs?\b", r"\b(?:spares?|parts)\s*(?:or|and|/|&|\+)\s*repairs?\b",
        r"\bneeds?\s+(?:a\s+)?(?:repairs?|fixing)\b", r"\brepairs?\s+needed\b",
        r"\breparaturbedürftig\w*", r"\bzur\s+reparatur\b",
    ),
    _rule(
        "not_working", FOR_PARTS, ("work", "functi", "funktion", "geht"),
        # "Will not work with Gen8" is compatibility, not a fault.
        r"\b(?:does\s+not|doesn'?t|did\s+not|didn'?t|do\s+not|don'?t|not)\s+work\b"
        r"(?!\s+(?:with|in|on|for|mit)\b)",
        r"\bnot\s+(?:fully\s+)?(?:working|functional|functioning)\b",
        r"\bnon[- ]?(?:working|functional|functioning)\b",
        r"\bfunktioniert\s+nicht\b(?!\s+(?:mit|in|an|auf)\b)",
        r"\bnicht\s+(?:mehr\s+)?(?:funktionsfähig|funktionierend|funktionstüchtig)\b",
        r"\b(?:ohne|keine)\s+funktion\b", r"\bfunktionslos\b",
        r"\bgeht\s+nicht\b(?!\s+(?:mit|in)\b)",
    ),
    _rule(
        "defective", FOR_PARTS, ("defekt", "defect", "faulty", "kaputt", "fehlerhaft",
                                 "malfunction"),
        r"\b\w*defekt(?:e[nmrs]?)?\b", r"\bdefect(?:s|ive)?\b", r"\bfaulty\b", r"\bkaputt\w*",
        r"\bfehlerhaft\w*", r"\bmalfunction\w*",
    ),
    _rule(
        "bent_pins", FOR_PARTS, ("pin",),
        r"\b(?:bent|damaged|missing|broken|verbogene?n?|fehlende?n?|beschädigte?n?)\s+"
        r"(?:cpu\s+|socket\s+)?pins?\b",
        r"\bpins?\s+(?:are\s+|is\s+|sind\s+)?(?:bent|damaged|missing|verbogen)\b",
    ),
    _rule(
        "broken", FOR_PARTS, ("broke", "brochen"),
        r"\bbroken\b", r"\b(?:zer)?gebrochen\w*", r"\bzerbrochen\w*",
        unless_near=_PACKAGING,
    ),
    _rule(
        "cracked", FOR_PARTS, ("crack", "riss", "chipped", "gesprungen"),
        r"\bcrack(?:ed|s)?\b", r"\b(?:haar)?riss(?:e|en)?\b", r"\b\w*rissen\b",
        r"\bchipped\b", r"\bgesprungen\b",
        unless_near=_PACKAGING,
    ),
    _rule(
        "dead", FOR_PARTS, ("dead",),
        r"\bdead\b(?![- ]?stock)",
    ),
    _rule(
        "no_power", FOR_PARTS, ("power", "turn", "switch", "geht", "schalt", "strom"),
        # "No power supply/cord" says what is missing from a barebone.
        r"\bno\s+power\b(?!\s*(?:cords?|cables?|supply|supplies|supplys|adapters?|adaptors?|"
        r"bricks?|leads?|psus?|buttons?|units?|modules?)\b)",
        _DENY + r"\s+(?:power|turn|switch)(?:s|ing)?\s+(?:on|up)\b", r"\bnot\s+powering\b",
        r"\bgeht\s+nicht\s+(?:mehr\s+)?an\b", r"\bschaltet\s+(?:sich\s+)?nicht\s+(?:mehr\s+)?ein\b",
        r"\blässt\s+sich\s+nicht\s+(?:mehr\s+)?einschalten\b", r"\bkein\s+strom\b",
    ),
    _rule(
        "no_post", FOR_PARTS, ("post", "boot", "startet", "hoch"),
        # "Will not post to PO boxes" is shipping.
        r"\bno\s+post\b", _DENY + r"\s+(?:post|boot)\b(?!\s+(?:to|outside|abroad|overseas)\b)",
        r"\bnot\s+(?:posting|booting)\b", r"\bboot\s*-?loops?\w*",
        r"\bno\s+boot\b(?!\s*(?:drives?|disks?|ssds?|devices?|media|os|hdds?)\b)",
        r"\bstartet\s+nicht\b", r"\bbootet\s+nicht\b", r"\bfährt\s+nicht\s+(?:mehr\s+)?hoch\b",
    ),
    _rule(
        "no_display", FOR_PARTS, ("display", "video", "signal", "picture", "screen", "bild",
                                  "anzeige", "schwarz"),
        # "No video card" is a workstation sold without a GPU.
        r"\bno\s+(?:display|video|signal|picture)\b"
        r"(?!\s*(?:ports?|cables?|cards?|adapters?|adaptors?)\b)",
        r"\bblack\s+screen\b", r"\bkein(?:e)?\s+(?:bild|signal|videosignal|anzeige)\b",
        r"\bbleibt\s+schwarz\b", r"\bschwarzer\s+bildschirm\b",
    ),
    _rule(
        "bad_sectors", FOR_PARTS, ("sector", "sektor", "block", "blöck"),
        r"\b(?:bad|defekte|fehlerhafte|reallocated|realloc|pending|damaged)\s+"
        r"(?:sectors?|sektoren|blocks?|blöcke)\b",
        r"\bsector\s+errors?\b",
    ),
    _rule(
        "smart_warning", FOR_PARTS, ("smart", "s.m.a.r.t", "fail"),
        r"\bs\.?m\.?a\.?r\.?t\b\.?\s*(?:status\s*)?[:=-]?\s*(?:warn\w*|fail\w*|errors?|caution|"
        r"trip\w*|bad|alert\w*|fehler\w*|issues?|problems?)\b",
        r"\bpredictive\s+fail\w*", r"\bpre[- ]?fail\w*",
    ),
    _rule(
        "failed", FOR_PARTS, ("fail", "ausgefallen", "ausfall"),
        # Power-loss protection on SSDs and NIC failover are features.
        r"\bfail(?:ed|ing|s|ure)?\b(?![- ]?(?:safe|over|protect\w*)\b)(?!\s+protect)",
        r"\bausgefallen\b", r"\btotalausfall\b",
    ),
    _rule(
        "noisy_heads", FOR_PARTS, ("head", "loud", "nois", "click", "grind", "clunk", "scrap",
                                   "klack", "klick", "geräusch"),
        r"\b(?:read(?:ing)?[- /]*(?:write\s+)?)?heads?\s+(?:are\s+|is\s+)?"
        r"(?:(?:very|a\s+bit|slightly)\s+)?(?:loud|noisy|click\w*|grinding|stuck|crash\w*)\b",
        r"\b(?:loud|noisy|clicking|grinding|clunking|scraping)\s+(?:read(?:ing)?\s+)?"
        r"(?:heads?|noises?|sounds?)\b",
        r"\bclicking\b", r"\bclick\s+of\s+death\b", r"\bgrinding\b",
        r"\b(?:(?:lese|schreib)?k[oö]pf\w*\s+)?klacker\w*", r"\bklackt\b", r"\bklickt\b",
        r"\b(?:klick|schleif|kratz|klacker)geräusch\w*",
        r"\b(?:laute?n?|komische?n?|seltsame?n?)\s+geräusch\w*", r"\bmacht\s+geräusch\w*",
    ),
    _rule(
        "burnt", FOR_PARTS, ("burn", "brannt", "schmor"),
        r"\bburnt\b", r"\bburned\b(?![- ]?in\b)", r"\bburn\s+marks?\b", r"\b\w*brannt\w*",
        r"\bschmor\w*",
    ),
    _rule(
        "damaged", FOR_PARTS, ("damage", "beschädig", "wasserschaden"),
        r"\b(?:water[- ]|physical(?:ly)?\s+)?damaged?\b", r"\bbeschädigt\w*",
        r"\bwasserschaden\w*",
        unless_near=_PACKAGING,
    ),
    _rule(
        "overheating", FOR_PARTS, ("overheat", "überhitz"),
        r"\boverheat\w*(?!\s+protect)", r"\büberhitz\w*",
    ),
    _rule(
        "artifacts", FOR_PARTS, ("artifact", "artefakt"),
        r"\bartifact(?:s|ing)?\b", r"\bartefakte?n?\b",
    ),
    _rule(
        "error", FOR_PARTS, ("error", "fehler", "code"),
        # ECC is "error correcting/checking code": a feature named after errors.
        r"\berrors?\b(?![- ]?(?:free|correct\w*|check\w*|detect\w*)\b)(?:\s+code\s*\d+\b)?",
        r"\b\w*fehler(?:code|meldung)?\w{0,2}\b(?![- ]?(?:korrektur|frei)\b)",
        r"\bcode\s*43\b",
    ),
    _rule(
        "bad", FOR_PARTS, ("bad",),
        # "Bad" alone may be a place ("Bad Homburg"): only a bad part, "tested bad" or a
        # trailing "bad" is a fault.
        r"\bbad\s+(?:pixels?|ram|memory|slots?|ports?|fans?|board|motherboard|mobo|chips?|"
        r"cells?|battery|batteries|capacitors?|caps|psus?|power|screen|display|lcd|drives?|"
        r"hdds?|ssds?|disks?|health|condition|gpu|vram|cpu|cores?|dimms?|modules?|channels?|"
        r"controller|backplane|bios|firmware)\b",
        r"\b(?:tested|tests|is|are|reads?|reading|shows?|showing|went|gone|goes|status|"
        r"health|condition)\s+bad\b",
        r"\bbad\b(?=\s*(?:$|[-|,;/(!:.]))",
    ),
    # --- veto: doubt without a stated fault ----------------------------------------------
    _rule(
        "untested", VETO, ("test", "prüf"),
        r"\bun-?tested\b", r"\bnot\s+(?:been\s+)?tested\b", r"\bnever\s+tested\b",
        r"\b(?:can'?t|cannot|could\s+not|couldn'?t)\s+test\b",
        r"\b(?:unable|no\s+way|not\s+able|no\s+means)\s+to\s+test\b",
        r"\bungetestet\b", r"\bnicht\s+(?:ge|über)?(?:testet|prüft)\b", r"\bungeprüft\b",
    ),
    _rule(
        "as_is", VETO, ("as is", "as-is", "as/is"),
        r"(?<!such )\bas[- /]is\b",
    ),
    _rule(
        "sold_as_seen", VETO, ("seen", "abgebildet", "gesehen", "besehen"),
        r"\bsold\s+as\s+seen\b", r"\bwie\s+(?:abgebildet|gesehen|besehen)\b",
    ),
    _rule(
        "read_description", VETO, ("read", "see", "check", "siehe", "lesen", "beachten"),
        r"\b(?:(?:please|pls|plz|must)\s+)?(?:read|see|check)\s+(?:the\s+|full\s+|item\s+|my\s+)?"
        r"(?:desc(?:ription)?|details|notes?|listing|below)\b",
        r"\b(?:please|pls|plz|must)\s+read\b", r"\bread\s*!",
        r"\bsiehe\s+(?:artikel)?(?:beschreibung|text)\b", r"\bbitte\s+(?:\w+\s+){0,2}lesen\b",
        r"\b(?:artikel)?(?:beschreibung|text)\s+(?:lesen|beachten)\b",
    ),
    _rule(
        "bios_locked", VETO, ("password", "passwort", "pw", "kennwort", "bios", "uefi"),
        r"\b(?:bios|uefi|setup|admin(?:istrator)?|supervisor|power[- ]on|hdd|hard\s+drive)"
        r"\s*[- ]?(?:password|passwort|kennwort|pwd?)\b"
        r"(?:\s+(?:locked|protected|set|gesperrt|geschützt|gesetzt))?",
        r"\b(?:bios|uefi)\s*[- ]?(?:locked|lock|gesperrt|sperre)\b",
        r"\b(?:password|passwort|kennwort|pwd?)\s*[- ]?(?:locked|protected|gesperrt|geschützt)\b",
    ),
    _rule(
        "activation_locked", VETO, ("icloud", "activation", "aktivierung", "mdm", "frp",
                                    "apple", "google"),
        r"\b(?:icloud|activation|mdm|frp|apple[- ]?id|google)\s*[- ]?(?:lock(?:ed)?|"
        r"gesperrt|sperre)\b",
        r"\baktivierungssperre\b",
    ),
    _rule(
        "locked", VETO, ("locked", "gesperrt"),
        # A non-K CPU's locked multiplier is how it is made, not a lock on this one.
        r"(?<!multiplier )(?<!multi )\blocked\b", r"\bgesperrt\b",
    ),
    _rule(
        # Engineering and qualification samples are pre-release parts, not the retail
        # product the price is compared with (and often unstable or board-locked).
        "engineering_sample", VETO, ("engineering", "qualification", "qs"),
        r"\b(?:engineering|qualification)\s+samples?\b",
        r"\b(?:es|qs)\s*(?:/|&|\+|\s)\s*(?:es|qs)\b", r"\bqs\s+(?:cpu|version|stepping)\b",
    ),
    _rule(
        "no_warranty", VETO, ("gewähr", "garantie", "warranty"),
        r"\b(?:ohne|keine)\s+(?:gewähr\w*|garantie|funktionsgarantie)\b",
        r"\b(?:no|without)\s+warranty\b",
    ),
    _rule(
        "noisy", VETO, ("nois",),
        r"\bnoisy\b",
    ),
)  # fmt: skip

EFFECTS: dict[str, Effect] = {rule.code: rule.effect for rule in _RULES}


def _needle_index(rules: tuple[_Rule, ...]) -> tuple[tuple[str, frozenset[int]], ...]:
    """Each distinct gate substring once, with the rules it opens: one scan of ~100
    substrings per title instead of one per rule and needle."""
    index: dict[str, set[int]] = {}
    for position, rule in enumerate(rules):
        for needle in rule.gates:
            index.setdefault(needle, set()).add(position)
    return tuple((needle, frozenset(opened)) for needle, opened in index.items())


_NEEDLES = _needle_index(_RULES)

# Words that deny what follows ("no bad sectors", "ohne Fehler", "0 errors").
_NEGATORS = frozenset(
    {"no", "not", "0", "zero", "without", "w/o", "never", "nor", "free", "keine", "kein",
     "keinen", "keiner", "ohne", "nicht", "null", "nie"}
)  # fmt: skip
# Words a negation reaches across ("no reallocated or bad sectors", "no SMART errors").
_BRIDGES = frozenset(
    {"or", "and", "&", "/", "any", "known", "smart", "s.m.a.r.t", "s.m.a.r.t.", "reallocated",
     "pending", "bent", "missing", "dead", "stuck", "bad", "visible", "major", "signs", "sign",
     "of", "obvious", "errors", "error", "jegliche", "jeglichen", "irgendwelche", "lauten",
     "cpu", "socket", "read", "write", "vendor", "platform", "psb", "bios", "oem"}
)  # fmt: skip
_NEGATION_REACH = 4
# What denies a flag just after it: "bad sectors: 0", "error-free", "password removed".
_CLEARED = re.compile(
    r"\s*(?:count\s*)?[:=]?\s*(?:0|zero|none|nil)\b|"
    r"[- ]?(?:free|frei)\b(?!\s*(?:shipping|postage|p&p|delivery|returns|versand))|"
    r"\s+(?:removed|cleared|reset|entfernt|gelöscht|zurückgesetzt)\b"
)
_PUNCT = "()[]{}\"'*!?.,;:/"
# Same-length replacements only, so match offsets index the title itself.
_ONE_TO_ONE = (("\u2019", "'"), ("\u2018", "'"), ("\u2013", "-"), ("\u2014", "-"))
_WINDOW = 60  # characters around a match that negation and context look at


def find_red_flags(title: str) -> tuple[RedFlag, ...]:
    """Every red flag the title states, in title order, at most one per code."""
    for typographic, plain in _ONE_TO_ONE:
        if typographic in title:  # cheaper than str.translate on every title
            title = title.replace(typographic, plain)
    shown = " ".join(title.split())
    text = shown.lower()
    if len(text) != len(shown):  # a rare letter lowercases to two: show lowercase instead
        shown = text
    hits = sorted(_matches(text), key=lambda hit: (hit[0], hit[0] - hit[1]))
    flags: list[RedFlag] = []
    seen: set[str] = set()
    claimed = 0
    for start, end, rule, denied in hits:
        if start < claimed:
            continue
        claimed = end
        if not denied and rule.code not in seen:
            seen.add(rule.code)
            flags.append(RedFlag(rule.code, shown[start:end], rule.effect))
    return tuple(flags)


def _matches(text: str) -> list[tuple[int, int, _Rule, bool]]:
    """Every match of every rule whose gate passes, with whether it is denied. Denied
    matches still claim their words, so "no SMART errors" is not also an error."""
    found: list[tuple[int, int, _Rule, bool]] = []
    opened: set[int] = set()
    for needle, rules in _NEEDLES:
        if needle in text:
            opened |= rules
    for position in sorted(opened):  # rule order breaks ties between equal matches
        rule = _RULES[position]
        for match in rule.pattern.finditer(text):
            start, end = match.span()
            if start == end:
                continue
            denied = _negated(text, start, end) or _near(text, start, end, rule.unless_near)
            found.append((start, end, rule, denied))
    return found


def _negated(text: str, start: int, end: int) -> bool:
    """Whether a negation word just before (across bridge words) or a clearing word just
    after denies the match."""
    if _CLEARED.match(text, end):
        return True
    for word in _words_before(text, start, _NEGATION_REACH):
        if word in _NEGATORS:
            return True
        if word not in _BRIDGES:
            return False
    return False


def _near(text: str, start: int, end: int, words: frozenset[str]) -> bool:
    """Whether one of `words` is within two words of the match, in the same clause."""
    if not words:
        return False
    around = (*_words_before(text, start, 2), *_words_after(text, end, 2))
    return any(word in words for word in around)


def _words_before(text: str, start: int, count: int) -> list[str]:
    """Up to `count` words before `start`, nearest first, stopping at a clause break."""
    window = text[max(0, start - _WINDOW) : start].split()
    if start > _WINDOW and window:
        window.pop(0)  # the window may begin inside a word
    words: list[str] = []
    for token in reversed(window[-count:]):
        if _breaks(token, before=True):
            break
        words.append(token.strip(_PUNCT) or token)
    return words


def _words_after(text: str, end: int, count: int) -> list[str]:
    """Up to `count` words after `end`, nearest first, stopping at a clause break."""
    words: list[str] = []
    for token in text[end : end + _WINDOW].split()[:count]:
        if _breaks(token, before=False):
            break
        words.append(token.strip(_PUNCT) or token)
        if token[-1] in ",;!|":
            break
    return words


def _breaks(token: str, *, before: bool) -> bool:
    """Whether a token ends a clause: a dash or bar on its own, or (looking back) a word
    followed by a comma, semicolon or exclamation mark."""
    if token not in ("&", "/", "+") and not any(c.isalnum() for c in token):
        return True
    return before and token[-1] in ",;!|"
