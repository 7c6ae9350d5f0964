"""Search semantics of eBay's Browse and Insights APIs over the sandbox catalog.

Parsing of `q`, `category_ids` (one category, found with its sub-categories), `filter`
(no `buyingOptions` means fixed-price items only, as on eBay), `sort`, `limit` and `offset`
(with eBay's error ids), an inverted index per marketplace, and paging. Everything time-dependent is
decided at query time against the server clock, so listings appear and end as it moves.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sandbox.catalog import FIXED_PRICE, Listing
from sandbox.errors import ApiError, warning
from sandbox.payloads import compact
from sandbox.products import category_subtree

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 9999  # eBay serves at most 10,000 results per query
SORTS = ("newlyListed", "price", "-price", "endingSoonest")
# Sold items stay visible to Insights this long, as on eBay.
SOLD_WINDOW = timedelta(days=90)

_EDGE = "()[]{}\"',;:!?*"
_PIECE = re.compile(r"\w+")
_TERM = re.compile(r'-?\([^)]*\)|-?"[^"]*"|\S+')
# A price bound as eBay's filter examples write it: plain decimal, at most cents.
_AMOUNT = re.compile(r"\d+(?:\.\d{1,2})?")
_NEW = frozenset({1000, 1500, 1750})
_USED = frozenset({2000, 2010, 2020, 2030, 2500, 2750, 3000, 4000, 5000, 6000})


# --- keywords ------------------------------------------------------------------------------


def _word(raw: str) -> str:
    return raw.lower().strip(_EDGE)


def tokenize(title: str) -> frozenset[str]:
    """The words a title matches: each whitespace word and its alphanumeric pieces."""
    tokens: set[str] = set()
    for raw in title.split():
        word = _word(raw)
        if word:
            tokens.add(word)
            tokens.update(_PIECE.findall(word))
    return frozenset(tokens)


@dataclass(frozen=True, slots=True)
class Keywords:
    """A parsed `q`: words that must all appear, OR groups, and excluded words."""

    required: tuple[str, ...] = ()
    any_of: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.required or self.any_of or self.excluded)


def parse_keywords(q: str) -> Keywords:
    """eBay keyword syntax: `a b` (both), `(a,b)` (either), `-a` and `-(a,b)` (neither)."""
    required: list[str] = []
    any_of: list[tuple[str, ...]] = []
    excluded: list[str] = []
    for term in _TERM.findall(q):
        negative = term.startswith("-") and len(term) > 1
        body = term[1:] if negative else term
        if body.startswith("(") and body.endswith(")"):
            words = tuple(w for w in (_word(a) for a in re.split(r"[,\s]+", body[1:-1])) if w)
            if negative:
                excluded.extend(words)
            elif words:
                any_of.append(words)
            continue
        words = tuple(w for w in (_word(a) for a in body.strip('"').split()) if w)
        (excluded if negative else required).extend(words)
    return Keywords(tuple(required), tuple(any_of), tuple(excluded))


# --- filters -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    """A parsed eBay `filter` parameter; `None` means the field is not filtered."""

    price_low: float | None = None
    price_high: float | None = None
    condition_ids: frozenset[int] | None = None
    buying_options: frozenset[str] | None = None
    start_low: float | None = None
    start_high: float | None = None
    end_low: float | None = None
    end_high: float | None = None
    countries: frozenset[str] | None = None
    sellers: frozenset[str] | None = None
    excluded_sellers: frozenset[str] = frozenset()
    warnings: tuple[dict[str, Any], ...] = ()

    def accepts(self, doc: Doc) -> bool:
        """Whether a document passes every filter."""
        if self.price_low is not None and doc.price < self.price_low:
            return False
        if self.price_high is not None and doc.price > self.price_high:
            return False
        if self.condition_ids is not None and doc.condition_id not in self.condition_ids:
            return False
        if self.buying_options is None:
            if not doc.default_match:
                return False
        elif not (self.buying_options & doc.options):
            return False
        if not _within(doc.start, self.start_low, self.start_high):
            return False
        if (self.end_low is not None or self.end_high is not None) and (
            doc.end is None or not _within(doc.end, self.end_low, self.end_high)
        ):
            return False
        if self.countries is not None and doc.country not in self.countries:
            return False
        if self.sellers is not None and doc.seller not in self.sellers:
            return False
        return doc.seller not in self.excluded_sellers


def _within(value: float, low: float | None, high: float | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


def _split_clauses(text: str) -> list[str]:
    """Split on commas outside `[...]` and `{...}`."""
    clauses, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "[{":
            depth += 1
        elif char in "]}":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            clauses.append(text[start:i])
            start = i + 1
    clauses.append(text[start:])
    return [c.strip() for c in clauses if c.strip()]


def _invalid_filter(name: str, value: str) -> ApiError:
    return ApiError(
        400,
        12002,
        f"The {name} value is invalid. For the valid values, refer to the API call documentation.",
        parameters=(("filter", f"{name}:{value}"),),
    )


def _range(name: str, value: str, convert: Callable[[str], float]) -> tuple[float | None, ...]:
    """`[a..b]`, `[a..]`, `[..b]` or `[a]` (a lower bound) into (low, high)."""
    if not (value.startswith("[") and value.endswith("]")):
        raise _invalid_filter(name, value)
    inner = value[1:-1].strip()
    low_text, sep, high_text = inner.partition("..")
    if not sep:
        high_text = ""
    try:
        low = convert(low_text.strip()) if low_text.strip() else None
        high = convert(high_text.strip()) if high_text.strip() else None
    except ValueError:
        raise _invalid_filter(name, value) from None
    if low is None and high is None:
        raise _invalid_filter(name, value)
    if low is not None and high is not None and low > high:
        raise _invalid_filter(name, value)
    return low, high


def _set(name: str, value: str) -> frozenset[str]:
    """`{a|b}` (or a bare `a`) into a set of values."""
    inner = value[1:-1] if value.startswith("{") and value.endswith("}") else value
    values = frozenset(v.strip() for v in inner.split("|") if v.strip())
    if not values:
        raise _invalid_filter(name, value)
    return values


def _price(text: str) -> float:
    # eBay documents price bounds only as plain amounts (`filter=price:[10..50]`,
    # https://developer.ebay.com/api-docs/buy/static/ref-buy-browse-filters.html) and
    # amounts as currency values with cents; an exponent (`1E+2`), more than two decimals
    # (`100.000`), a sign or a bare `.5` is nowhere in that syntax, so it is a 400 here.
    if not _AMOUNT.fullmatch(text):
        raise ValueError(text)
    return float(text)


def _timestamp(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def parse_filter(text: str | None, currency: str) -> Filters:
    """Parse eBay's `filter` syntax, e.g. `price:[10..50],priceCurrency:USD`.

    As on eBay, an unknown field and a price without `priceCurrency` are ignored with a
    warning (12002); a malformed value or a currency other than the marketplace's is an
    error (400).
    """
    if not text:
        return Filters()
    values: dict[str, Any] = {}
    warnings: list[dict[str, Any]] = []
    price_range: tuple[float | None, ...] | None = None
    price_currency: str | None = None
    for clause in _split_clauses(text):
        name, sep, value = clause.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not value:
            raise _invalid_filter(name or clause, value)
        if name == "price":
            price_range = _range(name, value, _price)
        elif name == "priceCurrency":
            price_currency = value.upper()
        elif name == "conditionIds":
            try:
                ids = frozenset(int(v) for v in _set(name, value))
            except ValueError:
                raise _invalid_filter(name, value) from None
            # Together with `conditions`, an item must satisfy both.
            values["condition_ids"] = values.get("condition_ids", ids) & ids
        elif name == "conditions":
            groups = {v.upper() for v in _set(name, value)}
            if not groups <= {"NEW", "USED"}:
                raise _invalid_filter(name, value)
            ids = (_NEW if "NEW" in groups else frozenset()) | (
                _USED if "USED" in groups else frozenset()
            )
            values["condition_ids"] = values.get("condition_ids", ids) & ids
        elif name == "buyingOptions":
            # "Only items offering the specified buying formats are returned", values joined
            # by '|': an item matches if it offers any of them, so {BEST_OFFER} finds the
            # items that take offers, whatever else they offer.
            # https://developer.ebay.com/api-docs/buy/static/ref-buy-browse-filters.html
            values["buying_options"] = frozenset(v.upper() for v in _set(name, value))
        elif name in ("itemStartDate", "itemEndDate"):
            low, high = _range(name, value, _timestamp)
            prefix = "start" if name == "itemStartDate" else "end"
            values[f"{prefix}_low"], values[f"{prefix}_high"] = low, high
        elif name == "itemLocationCountry":
            values["countries"] = frozenset(v.upper() for v in _set(name, value))
        elif name == "sellers":
            values["sellers"] = frozenset(v.lower() for v in _set(name, value))
        elif name == "excludeSellers":
            values["excluded_sellers"] = frozenset(v.lower() for v in _set(name, value))
        else:
            warnings.append(
                warning(
                    12002, f"The {name} filter is not supported and was ignored.", "filter", clause
                )
            )
    if price_currency is not None and price_currency != currency:
        raise ApiError(
            400,
            12012,
            "A valid 'price' filter and a valid 'priceCurrency' filter is necessary to "
            "filter based on price.",
            long_message=f"priceCurrency must be {currency} on this marketplace.",
            parameters=(("priceCurrency", price_currency),),
        )
    if price_range is not None:
        if price_currency is None:
            warnings.append(
                warning(
                    12002,
                    "The price filter needs priceCurrency and was ignored.",
                    "filter",
                    "price",
                )
            )
        else:
            values["price_low"], values["price_high"] = price_range
    return Filters(**values, warnings=tuple(warnings))


# --- query parameters ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """A validated search request."""

    keywords: Keywords
    categories: frozenset[str]
    filters: Filters
    sort: str | None
    limit: int
    offset: int
    warnings: tuple[dict[str, Any], ...] = ()


def _int_param(params: Mapping[str, str], name: str, default: int, bad_type: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(
            400,
            bad_type,
            f"The '{name}' value must be an integer value.",
            parameters=((name, raw),),
        ) from None


def parse_query(params: Mapping[str, str], currency: str) -> SearchQuery:
    """Validate a search's query parameters the way eBay does (400s with its error ids)."""
    limit = _int_param(params, "limit", DEFAULT_LIMIT, 12007)
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(
            400,
            12006,
            f"The 'limit' value should be between 1 and {MAX_LIMIT} (inclusive).",
            parameters=(("limit", str(limit)),),
        )
    offset = _int_param(params, "offset", 0, 12005)
    if offset < 0:
        raise ApiError(
            400,
            12004,
            "The 'offset' value cannot be negative.",
            parameters=(("offset", str(offset)),),
        )
    if offset > MAX_OFFSET:
        raise ApiError(
            400,
            12029,
            "The maximum number of listings that can be retrieved is 10,000, so your offset "
            "value must be less than 10,000. If 10,000 or more listings are matching your "
            "search criteria, consider narrowing the scope of your search.",
            parameters=(("offset", str(offset)),),
        )
    keywords = parse_keywords(params.get("q", ""))
    raw_categories = params.get("category_ids", "")
    ids = [c.strip() for c in raw_categories.split(",") if c.strip()]
    if any(not c.isdigit() for c in ids):
        raise ApiError(
            400,
            12009,
            "The 'category_ids' query parameter is invalid.",
            parameters=(("category_ids", raw_categories),),
        )
    if len(ids) > 1:
        # category_ids: "Note: Currently, you can pass in only one category ID per request."
        # https://developer.ebay.com/api-docs/buy/browse/resources/item_summary/methods/search
        raise ApiError(
            400,
            12009,
            "The 'category_ids' query parameter is invalid.",
            long_message="Currently, you can pass in only one category ID per request.",
            parameters=(("category_ids", raw_categories),),
        )
    categories = frozenset(ids)
    if not keywords.required and not keywords.any_of and not categories:
        raise ApiError(
            400,
            12001,
            "The call must have a valid 'q', 'category_ids', 'epid' or 'gtin' query parameter.",
        )
    filters = parse_filter(params.get("filter"), currency)
    sort = params.get("sort") or None
    warnings = list(filters.warnings)
    if sort is not None and sort not in SORTS:
        warnings.append(
            warning(
                12008,
                "The 'sort' value is invalid. For the valid values, refer to the API call "
                "documentation.",
                "sort",
                sort,
            )
        )
        sort = None
    return SearchQuery(keywords, categories, filters, sort, limit, offset, tuple(warnings))


# --- the index -----------------------------------------------------------------------------


@dataclass(slots=True)
class Doc:
    """One searchable listing, with the values filters and sorts read precomputed."""

    listing: Listing
    price: float
    cost: float  # price plus stated shipping: what `sort=price` orders by
    condition_id: int
    options: frozenset[str]
    start: float
    end: float | None
    shown_from: float
    shown_until: float
    order: float  # newest first by this: listing time, or sale time for Insights
    rank: int  # the stable "best match" position
    country: str
    seller: str
    category: str
    default_match: bool  # returned when the request has no buyingOptions filter
    body: str | None = field(default=None)  # serialised payload, filled on first use


@dataclass(frozen=True, slots=True)
class Result:
    """One page of a search."""

    total: int
    docs: list[Doc]


def browse_doc(listing: Listing, rank: int) -> Doc:
    """A listing as Browse search sees it: shown from listing until it ends."""
    end = listing.item_end_date
    # "Only FIXED_PRICE (Buy It Now) items are returned by default. However, this method
    # does return items where both FIXED_PRICE and AUCTION are available as a buying
    # option." https://developer.ebay.com/api-docs/buy/browse/resources/item_summary/methods/search
    # So a request without a buyingOptions filter never sees a pure auction.
    default_match = FIXED_PRICE in listing.buying_options
    return Doc(
        listing=listing,
        price=float(listing.price),
        cost=float(listing.total_cost),
        condition_id=listing.condition_id,
        options=frozenset(listing.buying_options),
        start=listing.listed_at.timestamp(),
        end=end.timestamp() if end else None,
        shown_from=listing.listed_at.timestamp(),
        shown_until=listing.ended_at.timestamp() if listing.ended_at else math.inf,
        order=listing.listed_at.timestamp(),
        rank=rank,
        country=listing.seller.country,
        seller=listing.seller.username.lower(),
        category=listing.category_id,
        default_match=default_match,
    )


def sale_doc(listing: Listing, rank: int) -> Doc:
    """A sold listing as Insights sees it: shown from the sale for 90 days, at its sold price."""
    if listing.ended_at is None or listing.sold_price is None:
        raise ValueError(f"{listing.item_id} did not sell")
    sold = listing.ended_at.timestamp()
    price = float(listing.sold_price)
    return Doc(
        listing=listing,
        price=price,
        cost=price + float(listing.shipping or 0),
        condition_id=listing.condition_id,
        options=frozenset(listing.buying_options),
        start=listing.listed_at.timestamp(),
        end=sold,
        shown_from=sold,
        shown_until=sold + SOLD_WINDOW.total_seconds(),
        order=sold,
        rank=rank,
        country=listing.seller.country,
        seller=listing.seller.username.lower(),
        category=listing.category_id,
        default_match=True,  # Insights documents no buying-option default: every sale
    )


class SearchIndex:
    """Inverted word and category index over one marketplace's documents, newest first."""

    _CACHE_SIZE = 2048

    def __init__(
        self,
        docs: list[Doc],
        serialise: Callable[[Listing], dict[str, Any]],
        default_sort: str = "bestMatch",
    ) -> None:
        self._docs = sorted(docs, key=lambda d: (-d.order, d.listing.item_id))
        self._serialise = serialise
        self._default_sort = default_sort
        self._words: dict[str, set[int]] = {}
        self._categories: dict[str, set[int]] = {}
        for position, doc in enumerate(self._docs):
            for token in tokenize(doc.listing.title):
                self._words.setdefault(token, set()).add(position)
            self._categories.setdefault(doc.category, set()).add(position)
        self._cache: dict[tuple[Keywords, frozenset[str]], list[int]] = {}

    def __len__(self) -> int:
        return len(self._docs)

    def _word_positions(self, word: str) -> set[int]:
        whole = self._words.get(word, set())
        pieces = _PIECE.findall(word)
        if len(pieces) < 2 and (not pieces or pieces[0] == word):
            return whole
        # "pc4-2666v" also matches a title that says "PC4-2666V-R".
        parts = [self._words.get(p, set()) for p in pieces]
        return whole | set.intersection(*parts) if parts else whole

    def _candidates(self, keywords: Keywords, categories: frozenset[str]) -> list[int]:
        key = (keywords, categories)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        sets: list[set[int]] = [self._word_positions(w) for w in keywords.required]
        for group in keywords.any_of:
            sets.append(set().union(*(self._word_positions(w) for w in group)))
        if categories:
            # A category search also finds the listings of its sub-categories.
            tree = set().union(*(category_subtree(c) for c in categories))
            sets.append(set().union(*(self._categories.get(c, set()) for c in tree)))
        if sets:
            sets.sort(key=len)
            found = set(sets[0]).intersection(*sets[1:])
        else:
            found = set(range(len(self._docs)))
        for word in keywords.excluded:
            found -= self._word_positions(word)
        positions = sorted(found)
        if len(self._cache) >= self._CACHE_SIZE:
            self._cache.clear()
        self._cache[key] = positions
        return positions

    def search(self, query: SearchQuery, now: datetime) -> Result:
        """The page of documents matching `query` and shown at `now`, with the total."""
        moment = now.timestamp()
        accepts = query.filters.accepts
        docs = self._docs
        matched = [
            doc
            for doc in (docs[i] for i in self._candidates(query.keywords, query.categories))
            if doc.shown_from <= moment < doc.shown_until and accepts(doc)
        ]
        sort = query.sort or self._default_sort
        if sort == "bestMatch":
            matched.sort(key=lambda d: d.rank)
        elif sort == "price":
            matched.sort(key=lambda d: d.cost)
        elif sort == "-price":
            matched.sort(key=lambda d: -d.cost)
        elif sort == "endingSoonest":
            matched.sort(key=lambda d: math.inf if d.end is None else d.end)
        # newlyListed (or newest sale): the index order already is newest first.
        return Result(len(matched), matched[query.offset : query.offset + query.limit])

    def bodies(self, docs: list[Doc]) -> list[str]:
        """The serialised payload of each document, serialised once and kept."""
        out: list[str] = []
        for doc in docs:
            if doc.body is None:
                doc.body = compact(self._serialise(doc.listing))
            out.append(doc.body)
        return out
