"""A protocol-faithful fake eBay ("sandbox marketplace") for tests, demos and benchmarks.

`build_catalog` makes a deterministic, realistic catalog of server-hardware listings with
ground truth; `SandboxMarketplace` serves it over eBay's real HTTP protocol (OAuth tokens,
Browse search, Analytics rate limits, Marketplace Insights) on 127.0.0.1.
"""

from sandbox.catalog import (
    CONDITIONS,
    Catalog,
    DealClass,
    GroundTruth,
    Listing,
    build_catalog,
)
from sandbox.clock import utc_now
from sandbox.faults import Endpoint, FaultInjector, RequestStats
from sandbox.products import FX_FROM_USD, PRODUCTS, Product
from sandbox.server import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    SandboxMarketplace,
    serve_forever,
)
from sandbox.tokens import API_SCOPE, INSIGHTS_SCOPE

__all__ = [
    "API_SCOPE",
    "CONDITIONS",
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "FX_FROM_USD",
    "INSIGHTS_SCOPE",
    "PRODUCTS",
    "Catalog",
    "DealClass",
    "Endpoint",
    "FaultInjector",
    "GroundTruth",
    "Listing",
    "Product",
    "RequestStats",
    "SandboxMarketplace",
    "build_catalog",
    "serve_forever",
    "utc_now",
]
