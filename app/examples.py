"""`spt demo`: the offline walkthrough. Seeds realistic example watches in the local scope."""

from __future__ import annotations

from typing import Any

from core.watches import DuplicateWatchError, Watch, WatchService

EXAMPLE_WATCHES: list[dict[str, Any]] = [
    {
        "name": "DDR4 ECC RDIMM 32GB",
        "query": "DDR4",
        "component_type": "ram",
        "marketplace": "EBAY_US",
        "max_price": "120",
        "filters": ["generation=DDR4", "capacity_gb>=32", "registered=true"],
        "threshold": 80,
    },
    {
        "name": "Enterprise SAS SSD 1.92TB",
        "query": "SSD",
        "component_type": "drive",
        "marketplace": "EBAY_GB",
        "max_price": "150",
        "conditions": ["new", "like_new", "used_working"],
        "filters": ["interface=SAS", "media=SSD", "capacity_gb>=1920"],
        "threshold": 75,
    },
    {
        "name": "RTX 3090 24GB",
        "query": "RTX 3090",
        "component_type": "gpu",
        "marketplace": "EBAY_US",
        "min_price": "400",
        "max_price": "900",
        "filters": ["model=3090", "vram_gb=24"],
        "threshold": 85,
        "min_seller_percent": "98",
    },
    {
        "name": "Dell PowerEdge configured",
        "query": "PowerEdge",
        "component_type": "server",
        "marketplace": "EBAY_DE",
        "max_price": "1500",
        "filters": ["manufacturer=dell", "tier in configured,partial"],
        "threshold": 80,
    },
    {
        "name": "AMD EPYC",
        "query": "EPYC",
        "component_type": "cpu",
        "marketplace": "EBAY_AU",
        "filters": ["family=epyc", "cores>=16"],
        "threshold": 80,
        "cold_start_opt_in": True,
    },
]


async def seed_examples(service: WatchService) -> tuple[list[Watch], list[Watch]]:
    """Create the example watches that are missing; returns (created, already there)."""
    created: list[Watch] = []
    existing: list[Watch] = []
    for example in EXAMPLE_WATCHES:
        try:
            created.append(await service.add(None, example))
        except DuplicateWatchError:
            existing.append(await service.get(None, example["name"]))
    return created, existing
