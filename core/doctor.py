"""`spt doctor`: each part of a setup checked for real, each answer one line with its fix.

The checks call the services the way spt does (the eBay token endpoint and one Browse
search, the LLM's own API, the database); Discord's checks come from the Discord package.
A check that cannot run because another failed says so instead of failing again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.extract.service import Extractor
from core.marketplace.client import EbayClient, SearchRequest
from core.marketplace.quota import QuotaExhaustedError
from core.marketplace.wiring import credentials
from core.resilience import PermanentError, ServiceError
from core.settings import Settings

# One search, as small as Browse allows, for a word every marketplace has listings for.
PROBE = "ddr4"


@dataclass(frozen=True)
class Finding:
    """One checked part: whether it works, what was found, and what to do if not."""

    part: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        """`ok    part: detail` or `FAIL  part: detail -> fix`."""
        text = f"{'ok  ' if self.ok else 'FAIL'}  {self.part}: {self.detail}"
        return f"{text} -> {self.fix}" if self.fix and not self.ok else text


def failed(findings: Sequence[Finding]) -> list[Finding]:
    """The findings that need fixing."""
    return [f for f in findings if not f.ok]


async def check_ebay(ebay: EbayClient, settings: Settings) -> list[Finding]:
    """The application token, then one Browse search on the default marketplace."""
    if credentials(settings) is None:
        return [
            Finding(
                "eBay",
                False,
                "no application keys, so nothing is searched",
                "set EBAY_CLIENT_ID and EBAY_CLIENT_SECRET (developer.ebay.com > "
                "Application Keys, Production)",
            )
        ]
    try:
        await ebay.tokens.get()
    except PermanentError as exc:
        return [
            Finding(
                "eBay token",
                False,
                f"eBay refused the keys ({exc})",
                "check EBAY_CLIENT_ID / EBAY_CLIENT_SECRET are the Production "
                "keyset's App ID and Cert ID",
            )
        ]
    except ServiceError as exc:
        return [
            Finding(
                "eBay token",
                False,
                f"cannot reach eBay ({exc})",
                f"check the network and ebay.api_base_url ({settings.ebay.api_base_url})",
            )
        ]
    found = [Finding("eBay token", True, "eBay issued an application token")]
    marketplace = settings.ebay.default_marketplace
    try:
        page = await ebay.search(SearchRequest(marketplace, PROBE, limit=1))
    except QuotaExhaustedError as exc:
        found.append(Finding("eBay search", False, str(exc), "wait for the daily reset"))
    except ServiceError as exc:
        found.append(
            Finding(
                "eBay search",
                False,
                f"Browse refused a search ({exc})",
                "check the keyset has the Browse API (scope api_scope) and "
                "that the marketplace is one eBay serves",
            )
        )
    else:
        found.append(
            Finding(
                "eBay search",
                True,
                f"Browse answered on {marketplace.value} ({page.total:,} listings for {PROBE!r})",
            )
        )
    return found


async def check_llm(extractor: Extractor, settings: Settings) -> list[Finding]:
    """The LLM this extraction mode asks: reachable, and (Ollama) the model pulled."""
    name = extractor.llm_name()
    if name is None:
        return [
            Finding(
                "LLM",
                True,
                f"none (extract.backend = {settings.extract.backend!r}: "
                "the rules read every title)",
            )
        ]
    backend = extractor.backend(name)
    if not await backend.ping():
        fix = (
            "start Ollama (ollama serve)"
            if name == "ollama"
            else f"check the {name} URL and key in [llm]"
        )
        fix += ', or set extract.backend = "rules"'
        return [Finding(name, False, "does not answer", fix)]
    found = [Finding(name, True, "answers")]
    pulled = await backend.model_available()
    if pulled is False:
        found.append(
            Finding(
                f"{name} model",
                False,
                f"{backend.model} is not there",
                f"ollama pull {backend.model}"
                if name == "ollama"
                else "choose a model the server has in [llm]",
            )
        )
    elif pulled:
        found.append(Finding(f"{name} model", True, f"{backend.model} is there"))
    return found
