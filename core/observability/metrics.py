"""The one Prometheus registry and every metric spt exports.

Label values are always from small fixed sets (service names, statuses, marketplaces,
job names): never watch ids, queries or titles.
"""

from __future__ import annotations

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
)

REGISTRY = CollectorRegistry(auto_describe=True)
for _collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
    REGISTRY.register(_collector)

# Latency buckets for calls to external HTTP services, in seconds.
_HTTP_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

EXTERNAL_SERVICE_UP = Gauge(
    "spt_external_service_up",
    "1 when the external service answered its last call or health check, else 0.",
    ["service"],
    registry=REGISTRY,
)
CIRCUIT_STATE = Gauge(
    "spt_circuit_breaker_state",
    "Circuit breaker per external service: 0 closed, 1 half-open, 2 open.",
    ["service"],
    registry=REGISTRY,
)
EXTERNAL_RETRIES = Counter(
    "spt_external_retries_total",
    "Retries of calls to external services.",
    ["service"],
    registry=REGISTRY,
)

EBAY_REQUESTS = Counter(
    "spt_ebay_requests_total",
    "HTTP requests to eBay APIs by outcome.",
    ["status"],
    registry=REGISTRY,
)
EBAY_REQUEST_DURATION = Histogram(
    "spt_ebay_request_duration_seconds",
    "Duration of HTTP requests to eBay APIs.",
    buckets=_HTTP_BUCKETS,
    registry=REGISTRY,
)
EBAY_QUOTA_LIMIT = Gauge(
    "spt_ebay_quota_limit", "Daily Browse API call budget in force.", registry=REGISTRY
)
EBAY_QUOTA_REMAINING = Gauge(
    "spt_ebay_quota_remaining", "Browse API calls left in the current window.", registry=REGISTRY
)
EBAY_QUOTA_RESET = Gauge(
    "spt_ebay_quota_reset_timestamp_seconds",
    "When the Browse API call window resets (Unix time).",
    registry=REGISTRY,
)
INGEST_PAUSED = Gauge(
    "spt_ingest_paused",
    "1 while ingestion waits for the eBay daily budget to reset.",
    registry=REGISTRY,
)
INGEST_STRETCH = Gauge(
    "spt_ingest_interval_stretch_ratio",
    "Factor by which watch intervals are stretched to fit the daily budget (1 = none).",
    registry=REGISTRY,
)
LISTINGS_INGESTED = Counter(
    "spt_listings_ingested_total",
    "Listings read from eBay searches, new or re-seen.",
    ["marketplace", "kind"],
    registry=REGISTRY,
)
ITEMS_SKIPPED = Counter(
    "spt_ebay_items_skipped_total",
    "Item summaries from eBay skipped because they were malformed.",
    registry=REGISTRY,
)
WATCH_RUNS = Counter(
    "spt_watch_runs_total",
    "Watch search runs by outcome.",
    ["status"],
    registry=REGISTRY,
)
LISTINGS_DEACTIVATED = Counter(
    "spt_listings_deactivated_total",
    "Listings that became inactive, by reason.",
    ["reason"],
    registry=REGISTRY,
)
SOLD_RECORDED = Counter(
    "spt_sold_items_recorded_total",
    "Sold prices recorded, by source.",
    ["source"],
    registry=REGISTRY,
)
JOB_LAST_SUCCESS = Gauge(
    "spt_job_last_success_timestamp_seconds",
    "When each background job last completed successfully (Unix time).",
    ["job"],
    registry=REGISTRY,
)
JOB_ERRORS = Counter(
    "spt_job_errors_total",
    "Errors caught by background job loops.",
    ["job"],
    registry=REGISTRY,
)
JOB_WAKEUPS = Counter(
    "spt_job_wakeups_total",
    "Why an event-driven job loop ran again: wake (woken, e.g. by a PostgreSQL notification), "
    "due (work came due), interval (its fallback poll), retry (after a failure's back-off).",
    ["job", "reason"],
    registry=REGISTRY,
)

LLM_REQUESTS = Counter(
    "spt_llm_requests_total",
    "Requests to LLM backends by outcome.",
    ["backend", "status"],
    registry=REGISTRY,
)
LLM_REQUEST_DURATION = Histogram(
    "spt_llm_request_duration_seconds",
    "Duration of requests to LLM backends.",
    ["backend"],
    buckets=_HTTP_BUCKETS,
    registry=REGISTRY,
)
LLM_TOKENS = Counter(
    "spt_llm_tokens_total",
    "Tokens exchanged with LLM backends, by direction (input or output).",
    ["backend", "direction"],
    registry=REGISTRY,
)
EXTRACTIONS = Counter(
    "spt_extractions_total",
    "Listings extracted, by method (rules or llm).",
    ["method"],
    registry=REGISTRY,
)
EXTRACTION_QUEUE_DEPTH = Gauge(
    "spt_extraction_queue_depth",
    "Extraction jobs waiting (pending).",
    registry=REGISTRY,
)
EXTRACTION_PARKED = Gauge(
    "spt_extraction_jobs_parked",
    "Extraction jobs parked after their last attempt failed.",
    registry=REGISTRY,
)
EXTRACTION_FAILURES = Counter(
    "spt_extraction_failures_total",
    "Extraction attempts that failed (retried later or parked).",
    registry=REGISTRY,
)
DISCORD_REQUESTS = Counter(
    "spt_discord_requests_total",
    "HTTP requests to Discord (API or webhooks) by outcome.",
    ["status"],
    registry=REGISTRY,
)
DISCORD_REQUEST_DURATION = Histogram(
    "spt_discord_request_duration_seconds",
    "Duration of HTTP requests to Discord.",
    buckets=_HTTP_BUCKETS,
    registry=REGISTRY,
)
ALERTS = Counter(
    "spt_alerts_total",
    "Alerts by event: created, delivered, failed, digested, capped (held back by a "
    "server's daily cap).",
    ["event"],
    registry=REGISTRY,
)
SCORES = Histogram(
    "spt_listing_scores",
    "Deal scores computed (0-100).",
    buckets=(10, 20, 30, 40, 50, 60, 70, 80, 90, 100),
    registry=REGISTRY,
)
BASELINES = Gauge(
    "spt_baselines",
    "Baselines by maturity: warm (enough samples to judge prices) or cold.",
    ["state"],
    registry=REGISTRY,
)
LAST_NEW_LISTING = Gauge(
    "spt_listings_last_new_timestamp_seconds",
    "When a search last found a listing spt had not seen (Unix time; process start at first).",
    registry=REGISTRY,
)
INGEST_INTERVAL = Gauge(
    "spt_ingest_interval_seconds",
    "The shortest poll interval of the enabled watches, stretched to fit the budget.",
    registry=REGISTRY,
)
WATCHES_ENABLED = Gauge(
    "spt_watches_enabled", "Watches that search eBay on a schedule.", registry=REGISTRY
)
LLM_BACKEND = Gauge(
    "spt_llm_backend",
    '1 for the LLM backend extraction may ask (backend="none" when rules read every title).',
    ["backend"],
    registry=REGISTRY,
)
ALERT_DESTINATION = Gauge(
    "spt_alert_destination",
    "1 for where alerts go by default: discord, webhook, apprise or console.",
    ["destination"],
    registry=REGISTRY,
)

LLM_BACKENDS = ("ollama", "anthropic", "openai_compat")
MARKETPLACES = ("EBAY_US", "EBAY_GB", "EBAY_DE", "EBAY_AU")
JOBS = ("ingest", "extract", "baselines", "delivery", "health")
# The loops that wake on events rather than only on a timer, and why they may run.
EVENT_DRIVEN_JOBS = ("delivery",)
WAKEUP_REASONS = ("wake", "due", "interval", "retry")


def initialise_series() -> None:
    """Create every bounded label combination at zero, so dashboards and alert rules see a
    series from the first scrape (a missing series is not a zero in PromQL)."""
    for status in ("success", "error"):
        EBAY_REQUESTS.labels(status)
        DISCORD_REQUESTS.labels(status)
        WATCH_RUNS.labels(status)
        for backend in LLM_BACKENDS:
            LLM_REQUESTS.labels(backend, status)
    for backend in LLM_BACKENDS:
        LLM_REQUEST_DURATION.labels(backend)
        for direction in ("input", "output"):
            LLM_TOKENS.labels(backend, direction)
    for method in ("rules", "llm"):
        EXTRACTIONS.labels(method)
    for event in ("created", "delivered", "failed", "digested", "capped"):
        ALERTS.labels(event)
    for market in MARKETPLACES:
        for kind in ("new", "seen_again"):
            LISTINGS_INGESTED.labels(market, kind)
    for job in JOBS:
        JOB_ERRORS.labels(job)
    for job in EVENT_DRIVEN_JOBS:
        for reason in WAKEUP_REASONS:
            JOB_WAKEUPS.labels(job, reason)
    for state in ("warm", "cold"):
        BASELINES.labels(state)
