-- spt schema, first version. Designed for the whole pipeline: watches -> listings ->
-- extraction queue -> extractions -> baselines -> scores -> alerts -> outbox -> delivery.
-- Enumerations are text with CHECK constraints (cheaper to extend than enum types).
-- guild_id NULL means the local scope (CLI and headless use without Discord).

CREATE TABLE guild_settings (
    guild_id            bigint PRIMARY KEY,
    manager_role_ids    bigint[] NOT NULL DEFAULT '{}',
    default_channel_id  bigint,
    default_marketplace text CHECK (default_marketplace IN ('EBAY_US', 'EBAY_GB', 'EBAY_DE', 'EBAY_AU')),
    alerts_paused       boolean NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE watches (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    guild_id              bigint,
    channel_id            bigint,
    owner_id              bigint,
    name                  text NOT NULL CHECK (char_length(btrim(name)) BETWEEN 1 AND 100),
    query                 text NOT NULL CHECK (char_length(btrim(query)) BETWEEN 1 AND 350),
    component_type        text NOT NULL CHECK (component_type IN
                              ('ram', 'drive', 'server', 'cpu', 'nic', 'gpu', 'workstation', 'desktop', 'other')),
    marketplace           text NOT NULL CHECK (marketplace IN ('EBAY_US', 'EBAY_GB', 'EBAY_DE', 'EBAY_AU')),
    category_ids          text[] NOT NULL DEFAULT '{}',
    min_price             numeric(12, 2) CHECK (min_price >= 0),
    max_price             numeric(12, 2) CHECK (max_price >= 0),
    conditions            text[] NOT NULL DEFAULT '{}'
                              CHECK (conditions <@ ARRAY['new', 'like_new', 'used_working', 'for_parts', 'unknown']),
    buying_options        text[] NOT NULL DEFAULT '{}',
    min_seller_feedback   integer CHECK (min_seller_feedback >= 0),
    min_seller_percent    numeric(5, 2) CHECK (min_seller_percent BETWEEN 0 AND 100),
    top_rated_only        boolean NOT NULL DEFAULT false,
    filters               jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(filters) = 'array'),
    threshold             smallint NOT NULL CHECK (threshold BETWEEN 0 AND 100),
    cold_start_opt_in     boolean NOT NULL DEFAULT false,
    realert_step_pct      numeric(5, 2) NOT NULL DEFAULT 5 CHECK (realert_step_pct BETWEEN 0 AND 100),
    poll_interval_seconds integer NOT NULL CHECK (poll_interval_seconds BETWEEN 60 AND 86400),
    enabled               boolean NOT NULL DEFAULT true,
    next_run_at           timestamptz NOT NULL DEFAULT now(),
    last_run_at           timestamptz,
    last_sweep_at         timestamptz,
    last_error            text,
    -- Search calls a run costs on average, for sharing the daily budget fairly.
    avg_calls_per_run     real NOT NULL DEFAULT 1 CHECK (avg_calls_per_run > 0),
    -- A process running this watch holds it until the lease expires (crash safety).
    lease_holder          text,
    lease_expires_at      timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CHECK (min_price IS NULL OR max_price IS NULL OR min_price <= max_price)
);
-- Names are unique per scope, ignoring case; 0 stands for the local scope here.
CREATE UNIQUE INDEX watches_scope_name ON watches (COALESCE(guild_id, 0), lower(name));
CREATE INDEX watches_due ON watches (next_run_at) WHERE enabled;

CREATE TABLE listings (
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    marketplace             text NOT NULL CHECK (marketplace IN ('EBAY_US', 'EBAY_GB', 'EBAY_DE', 'EBAY_AU')),
    item_id                 text NOT NULL,
    legacy_item_id          text,
    title                   text NOT NULL,
    url                     text,
    image_url               text,
    currency                char(3) NOT NULL,
    price                   numeric(12, 2) NOT NULL CHECK (price >= 0),
    shipping                numeric(12, 2) CHECK (shipping >= 0),
    seller_username         text,
    seller_feedback_score   integer,
    seller_feedback_percent numeric(5, 2),
    seller_top_rated        boolean,
    condition_id            integer,
    condition_raw           text,
    condition               text NOT NULL DEFAULT 'unknown'
                                CHECK (condition IN ('new', 'like_new', 'used_working', 'for_parts', 'unknown')),
    buying_options          text[] NOT NULL DEFAULT '{}',
    auction_end_at          timestamptz,
    item_country            text,
    category_ids            text[] NOT NULL DEFAULT '{}',
    item_specifics          jsonb,
    content_hash            text,
    first_seen_at           timestamptz NOT NULL DEFAULT now(),
    last_seen_at            timestamptz NOT NULL DEFAULT now(),
    active                  boolean NOT NULL DEFAULT true,
    ended_at                timestamptz,
    sold_price              numeric(12, 2) CHECK (sold_price >= 0),
    sold_at                 timestamptz,
    -- How we know it sold: eBay's sold data, or our inference that a fixed-price listing
    -- vanished well before its end ('ended_early', a weaker signal).
    sold_source             text CHECK (sold_source IN ('marketplace_insights', 'ended_early', 'manual')),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    UNIQUE (marketplace, item_id),
    CHECK ((sold_price IS NULL) = (sold_source IS NULL))
);
CREATE INDEX listings_active_seen ON listings (last_seen_at) WHERE active;
CREATE INDEX listings_auction_end ON listings (auction_end_at) WHERE active AND auction_end_at IS NOT NULL;

-- Every price we observed, for price-history charts and re-alert decisions.
CREATE TABLE listing_prices (
    listing_id  bigint NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    observed_at timestamptz NOT NULL DEFAULT now(),
    price       numeric(12, 2) NOT NULL CHECK (price >= 0),
    shipping    numeric(12, 2) CHECK (shipping >= 0),
    PRIMARY KEY (listing_id, observed_at)
);

CREATE TABLE watch_hits (
    watch_id     bigint NOT NULL REFERENCES watches (id) ON DELETE CASCADE,
    listing_id   bigint NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    first_hit_at timestamptz NOT NULL DEFAULT now(),
    last_hit_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (watch_id, listing_id)
);
CREATE INDEX watch_hits_listing ON watch_hits (listing_id);

-- The extraction work queue, claimed with FOR UPDATE SKIP LOCKED under a lease.
CREATE TABLE extraction_jobs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    listing_id       bigint NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    reason           text NOT NULL DEFAULT 'new' CHECK (reason IN ('new', 'changed', 'llm_retry', 'manual')),
    status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'parked')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    leased_by        text,
    lease_expires_at timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    CHECK ((status = 'running') = (lease_expires_at IS NOT NULL))
);
-- At most one open job per listing.
CREATE UNIQUE INDEX extraction_jobs_open ON extraction_jobs (listing_id) WHERE status IN ('pending', 'running');
CREATE INDEX extraction_jobs_ready ON extraction_jobs (next_attempt_at) WHERE status = 'pending';
CREATE INDEX extraction_jobs_leases ON extraction_jobs (lease_expires_at) WHERE status = 'running';

CREATE TABLE extractions (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    listing_id     bigint NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    component_type text NOT NULL CHECK (component_type IN
                       ('ram', 'drive', 'server', 'cpu', 'nic', 'gpu', 'workstation', 'desktop', 'other')),
    attributes     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    condition      text NOT NULL DEFAULT 'unknown'
                       CHECK (condition IN ('new', 'like_new', 'used_working', 'for_parts', 'unknown')),
    quantity       integer NOT NULL DEFAULT 1 CHECK (quantity >= 1),
    confidence     real NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    method         text NOT NULL CHECK (method IN ('rules', 'llm')),
    backend        text,
    model          text,
    low_confidence boolean NOT NULL DEFAULT false,
    -- Rules result stored because the LLM it needed was unreachable: re-queue when it is back.
    llm_pending    boolean NOT NULL DEFAULT false,
    product_key    text,
    input_hash     text,
    tokens_in      integer,
    tokens_out     integer,
    duration_ms    integer,
    is_current     boolean NOT NULL DEFAULT true,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (component_type <> 'other' OR product_key IS NULL)
);
CREATE UNIQUE INDEX extractions_current ON extractions (listing_id) WHERE is_current;
CREATE INDEX extractions_product_key ON extractions (product_key) WHERE is_current AND product_key IS NOT NULL;
CREATE INDEX extractions_low_confidence ON extractions (created_at) WHERE is_current AND low_confidence;

CREATE TABLE baselines (
    product_key  text NOT NULL,
    currency     char(3) NOT NULL,
    sample_count integer NOT NULL CHECK (sample_count >= 0),
    sold_count   integer NOT NULL DEFAULT 0 CHECK (sold_count >= 0),
    p10          numeric(12, 2),
    p25          numeric(12, 2),
    p50          numeric(12, 2),
    p75          numeric(12, 2),
    p90          numeric(12, 2),
    mean         numeric(12, 2),
    window_days  integer NOT NULL CHECK (window_days >= 1),
    computed_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (product_key, currency)
);

-- One row per key, currency and day, for trend charts.
CREATE TABLE baseline_history (
    product_key  text NOT NULL,
    currency     char(3) NOT NULL,
    day          date NOT NULL,
    sample_count integer NOT NULL CHECK (sample_count >= 0),
    sold_count   integer NOT NULL DEFAULT 0 CHECK (sold_count >= 0),
    p10          numeric(12, 2),
    p25          numeric(12, 2),
    p50          numeric(12, 2),
    p75          numeric(12, 2),
    p90          numeric(12, 2),
    mean         numeric(12, 2),
    PRIMARY KEY (product_key, currency, day)
);

CREATE TABLE scores (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    listing_id           bigint NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    extraction_id        bigint REFERENCES extractions (id) ON DELETE CASCADE,
    score                numeric(5, 2) NOT NULL CHECK (score BETWEEN 0 AND 100),
    breakdown            jsonb NOT NULL CHECK (jsonb_typeof(breakdown) = 'object'),
    unit_price           numeric(12, 2) NOT NULL CHECK (unit_price >= 0),
    currency             char(3) NOT NULL,
    product_key          text,
    baseline_samples     integer NOT NULL DEFAULT 0,
    baseline_computed_at timestamptz,
    cold_start           boolean NOT NULL,
    is_current           boolean NOT NULL DEFAULT true,
    computed_at          timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX scores_current ON scores (listing_id) WHERE is_current;
CREATE INDEX scores_rank ON scores (score DESC) WHERE is_current;

-- A message to deliver: one alert, or a digest of several for one destination.
CREATE TABLE outbox (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key  text NOT NULL UNIQUE,
    destination_kind text NOT NULL CHECK (destination_kind IN ('discord_channel', 'webhook', 'console')),
    destination      text NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('alert', 'digest')),
    status           text NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'sending', 'delivered', 'failed', 'cancelled')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    leased_by        text,
    lease_expires_at timestamptz,
    last_error       text,
    message_id       bigint,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz
);
CREATE INDEX outbox_ready ON outbox (next_attempt_at) WHERE status = 'pending';

CREATE TABLE alerts (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    watch_id     bigint NOT NULL REFERENCES watches (id) ON DELETE CASCADE,
    listing_id   bigint NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    score_id     bigint REFERENCES scores (id) ON DELETE SET NULL,
    guild_id     bigint,
    score        numeric(5, 2) NOT NULL CHECK (score BETWEEN 0 AND 100),
    unit_price   numeric(12, 2) NOT NULL CHECK (unit_price >= 0),
    currency     char(3) NOT NULL,
    cold_start   boolean NOT NULL DEFAULT false,
    -- 1 for the first alert of a (watch, listing); +1 for each re-alert after a price drop.
    sequence     integer NOT NULL DEFAULT 1 CHECK (sequence >= 1),
    status       text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'queued', 'delivered', 'failed', 'dismissed', 'muted')),
    outbox_id    bigint REFERENCES outbox (id) ON DELETE SET NULL,
    feedback     text CHECK (feedback IN ('not_a_deal')),
    dismissed_by bigint,
    dismissed_at timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    delivered_at timestamptz,
    UNIQUE (watch_id, listing_id, sequence)
);
CREATE INDEX alerts_guild_recent ON alerts (guild_id, created_at DESC);
CREATE INDEX alerts_outbox ON alerts (outbox_id);
CREATE INDEX alerts_listing ON alerts (listing_id);

CREATE TABLE delivery_attempts (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id           bigint NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    attempted_at        timestamptz NOT NULL DEFAULT now(),
    outcome             text NOT NULL CHECK (outcome IN ('delivered', 'partial', 'retryable', 'rate_limited', 'failed')),
    http_status         integer,
    retry_after_seconds real,
    duration_ms         integer,
    error               text
);
CREATE INDEX delivery_attempts_outbox ON delivery_attempts (outbox_id, attempted_at);

-- What a guild never wants alerts about again.
CREATE TABLE mutes (
    guild_id   bigint NOT NULL DEFAULT 0,
    kind       text NOT NULL CHECK (kind IN ('listing', 'product_key', 'seller')),
    value      text NOT NULL,
    created_by bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (guild_id, kind, value)
);

CREATE TABLE job_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job         text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'success', 'error')),
    detail      jsonb NOT NULL DEFAULT '{}',
    error       text
);
CREATE INDEX job_runs_recent ON job_runs (job, started_at DESC);

-- Named leases for work only one process may do at a time (e.g. the ingest scheduler).
CREATE TABLE leases (
    name       text PRIMARY KEY,
    holder     text NOT NULL,
    expires_at timestamptz NOT NULL,
    acquired_at timestamptz NOT NULL DEFAULT now()
);

-- eBay call budget per API resource (e.g. buy.browse), persisted across restarts.
CREATE TABLE ebay_quota (
    resource     text PRIMARY KEY,
    -- Our own daily budget (ebay.daily_call_budget); api_limit is what eBay allows, when known.
    call_limit   integer NOT NULL CHECK (call_limit >= 0),
    api_limit    integer CHECK (api_limit >= 0),
    calls_used   integer NOT NULL DEFAULT 0 CHECK (calls_used >= 0),
    window_start timestamptz NOT NULL,
    reset_at     timestamptz NOT NULL,
    synced_at    timestamptz,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
