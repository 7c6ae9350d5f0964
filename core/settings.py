"""Typed settings, layered: defaults < config.toml < environment < CLI flags.

`load_settings` builds every layer, merges them, validates once, and remembers where
each value came from so `spt config show` can say so. A bad value becomes a
`ConfigError` whose lines name the key, the value and what was expected.
Fields marked `reloadable` may change while spt runs (see core/config_reload.py).
"""

from __future__ import annotations

import io
import json
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen
from dotenv import dotenv_values
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.config import JsonDict
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, SettingsConfigDict, SettingsError

from core.models import Marketplace

ENV_PREFIX = "SPT_"
CONFIG_ENV = "SPT_CONFIG"
DEFAULT_CONFIG_NAME = "config.toml"
# The secrets file (`spt init` writes it): NAME=value lines, read below the environment.
ENV_FILE_ENV = "SPT_ENV_FILE"
DEFAULT_ENV_FILE = "spt.env"
_RELOADABLE: JsonDict = {"reloadable": True}

# The conventional variable names other tools use; SPT_* spellings win over them.
CONVENTIONAL_ENV: dict[str, tuple[str, str]] = {
    "DATABASE_URL": ("database", "url"),
    "DISCORD_TOKEN": ("discord", "token"),
    "EBAY_CLIENT_ID": ("ebay", "client_id"),
    "EBAY_CLIENT_SECRET": ("ebay", "client_secret"),
    "ANTHROPIC_API_KEY": ("llm", "anthropic_api_key"),
    "OPENAI_API_KEY": ("llm", "openai_api_key"),
}


def reloadable(default: Any, description: str, **constraints: Any) -> Any:
    """A field whose new value applies to a running process without a restart."""
    return Field(default, description=description, json_schema_extra=_RELOADABLE, **constraints)


def default_data_dir() -> Path:
    """Where the embedded PostgreSQL keeps its files unless `database.data_dir` says otherwise."""
    return platformdirs.user_data_path("spt") / "pgdata"


class Section(BaseModel):
    """A `[section]` of config.toml: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class DatabaseSettings(Section):
    url: SecretStr | None = Field(
        None, description="PostgreSQL URL; unset starts an embedded server in data_dir"
    )
    data_dir: Path = Field(
        default_factory=default_data_dir, description="embedded PostgreSQL data directory"
    )
    pool_min_size: int = Field(1, ge=1, le=100, description="connections kept open")
    pool_max_size: int = Field(10, ge=1, le=200, description="most connections at once")
    command_timeout_seconds: float = Field(
        30.0, gt=0, le=3600, description="longest a single query may run"
    )

    @field_validator("data_dir")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @model_validator(mode="after")
    def _pool_sizes(self) -> DatabaseSettings:
        if self.pool_min_size > self.pool_max_size:
            raise ValueError(
                f"pool_min_size ({self.pool_min_size}) must not exceed "
                f"pool_max_size ({self.pool_max_size})"
            )
        return self


class SidecarSettings(Section):
    enabled: bool = Field(True, description="serve /metrics, /healthz, /readyz and the dashboard")
    host: str = Field("127.0.0.1", min_length=1, description="interface the side server binds")
    port: int = Field(
        9321, ge=0, le=65535, description="TCP port of the side server (0: any free port)"
    )


WEBHOOK_URL = re.compile(
    r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/(?:v\d+/)?webhooks/"
    r"[0-9]{17,20}/[A-Za-z0-9.\-_]{60,}/?"
)


class DiscordSettings(Section):
    token: SecretStr | None = Field(None, description="bot token; unset runs headless")
    dev_guild_ids: list[int] = Field(
        default_factory=list, description="guilds `spt sync --dev` registers commands in at once"
    )
    manager_role_ids: list[int] = reloadable(
        [], "roles that manage spt in every guild, besides Manage Server and each guild's own"
    )
    alert_channel_id: int | None = reloadable(
        None, "channel for alerts of watches that name none, in guilds without a default", ge=0
    )
    webhook_url: SecretStr | None = Field(
        None, description="webhook for alerts when running headless"
    )
    api_base_url: str = Field(
        "https://discord.com/api/v10",
        pattern=r"^https?://\S+$",
        description="Discord REST API root (a fake's address in tests)",
    )
    shard_count: int | None = Field(
        None, ge=1, le=1000, description="gateway shards; unset: the number Discord recommends"
    )
    request_timeout_seconds: float = reloadable(
        15.0, "how long one alert post may take before it is retried later", gt=0, le=300
    )

    @field_validator("webhook_url")
    @classmethod
    def _webhook(cls, value: SecretStr | None) -> SecretStr | None:
        # The form discord.py's Webhook.from_url accepts (Discord's "Copy Webhook URL").
        if value is not None and not WEBHOOK_URL.fullmatch(value.get_secret_value()):
            raise ValueError(
                "must be a Discord webhook URL, https://discord.com/api/webhooks/<id>/<token> "
                "(Server Settings > Integrations > Webhooks > Copy Webhook URL)"
            )
        return value


class EbaySettings(Section):
    client_id: SecretStr | None = Field(None, description="eBay application (client) id")
    client_secret: SecretStr | None = Field(None, description="eBay client secret (cert id)")
    api_base_url: str = Field(
        "https://api.ebay.com",
        pattern=r"^https?://\S+$",
        description="Browse/Identity API root: production, sandbox or the local sandbox",
    )
    default_marketplace: Marketplace = reloadable(
        Marketplace.EBAY_US, "marketplace for watches that name none"
    )
    requests_per_second: float = reloadable(5.0, "token-bucket refill rate", gt=0, le=100)
    burst: int = reloadable(10, "token-bucket size", ge=1, le=1000)
    daily_call_budget: int = reloadable(5000, "Browse API calls allowed per day", ge=1)
    request_timeout_seconds: float = Field(15.0, gt=0, le=300, description="per-request timeout")
    page_size: int = reloadable(50, "items per search page", ge=1, le=200)
    max_pages_per_run: int = reloadable(2, "search pages read per watch run", ge=1, le=50)
    sweep_max_pages: int = reloadable(
        10, "pages a sweep run reads to refresh older listings", ge=1, le=100
    )
    marketplace_insights: bool = reloadable(
        False, "poll sold items (needs Marketplace Insights access)"
    )
    category_feeds: bool = reloadable(
        False,
        "read each marketplace's categories newest first and match watches locally, so eBay "
        "calls grow with new listings, not with watches",
    )
    feed_max_pages: int = reloadable(
        5, "pages a category feed reads per run before it stops (200 items each)", ge=1, le=50
    )


class ResilienceSettings(Section):
    max_attempts: int = reloadable(4, "tries per call, the first included", ge=1, le=20)
    backoff_base_seconds: float = reloadable(0.5, "first retry delay", gt=0, le=60)
    backoff_max_seconds: float = reloadable(20.0, "longest retry delay", gt=0, le=600)
    max_retry_after_seconds: float = reloadable(
        60.0, "longest Retry-After honoured in a call; longer ones fail it", gt=0, le=3600
    )
    breaker_failure_threshold: int = reloadable(
        5, "consecutive failures that open a service's circuit", ge=1, le=1000
    )
    breaker_cooldown_seconds: float = reloadable(
        30.0, "seconds an open circuit waits before a trial call", gt=0, le=3600
    )


class ExtractSettings(Section):
    backend: Literal["rules", "ollama", "anthropic", "openai_compat", "auto"] = Field(
        "auto", description="auto: rules, asking the LLM only below confidence_threshold"
    )
    confidence_threshold: float = reloadable(
        0.8, "rules results below this go to the LLM", ge=0, le=1
    )
    workers: int = Field(2, ge=1, le=64, description="concurrent extraction workers")
    max_attempts: int = reloadable(5, "attempts before a job is parked", ge=1, le=100)
    lease_seconds: int = Field(
        120, ge=10, le=3600, description="job lease before another worker may take it"
    )


class LlmSettings(Section):
    backend: Literal["ollama", "anthropic", "openai_compat"] = Field(
        "ollama", description="the LLM extract.backend=auto asks"
    )
    timeout_seconds: float = Field(60.0, gt=0, le=600, description="per-request timeout")
    ollama_url: str = Field(
        "http://127.0.0.1:11434", pattern=r"^https?://\S+$", description="Ollama server"
    )
    ollama_model: str = Field("qwen2.5:7b-instruct", min_length=1, description="Ollama model")
    anthropic_api_key: SecretStr | None = Field(None, description="Anthropic API key")
    anthropic_base_url: str | None = Field(
        None, pattern=r"^https?://\S+$", description="override the Anthropic API root"
    )
    anthropic_model: str = Field("claude-haiku-4-5", min_length=1, description="Anthropic model")
    openai_base_url: str = Field(
        "http://127.0.0.1:8000/v1",
        pattern=r"^https?://\S+$",
        description="OpenAI-compatible API root",
    )
    openai_api_key: SecretStr | None = Field(None, description="OpenAI-compatible API key")
    openai_model: str = Field("gpt-4o-mini", min_length=1, description="OpenAI-compatible model")


class ScoringWeights(Section):
    """How the adjustment band is shared among the factors other than the price."""

    seller: float = Field(0.3, ge=0, le=1, description="seller feedback and top-rated status")
    condition: float = Field(0.3, ge=0, le=1, description="item condition")
    quantity: float = Field(0.1, ge=0, le=1, description="lot size")
    quality: float = Field(0.15, ge=0, le=1, description="listing completeness")
    timing: float = Field(0.15, ge=0, le=1, description="freshness and auction end")

    @model_validator(mode="after")
    def _sum_to_one(self) -> ScoringWeights:
        total = self.seller + self.condition + self.quantity + self.quality + self.timing
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"weights must sum to 1, they sum to {total:g}")
        return self


class ScoringSettings(Section):
    default_threshold: int = reloadable(80, "alert threshold for new watches", ge=0, le=100)
    cold_start_min_samples: int = reloadable(
        10, "baseline samples below which the price is unknown", ge=1
    )
    alert_min_samples: int = reloadable(
        20, "baseline samples a listing's market needs before it alerts (mature)", ge=1
    )
    baseline_window_days: int = reloadable(90, "days of listings a baseline covers", ge=1, le=3650)
    full_score_discount_pct: float = reloadable(
        48.0, "discount under the median, net of doubt, that scores 100", gt=0, le=95
    )
    adjustment_points: float = reloadable(
        5.0, "most points the factors besides price move a score, either way", ge=0, le=20
    )
    suspicious_lot_ratio: float = reloadable(
        0.6, "a lot whose unit price is under this share of P10 is flagged, not alerted",
        ge=0, le=1,
    )  # fmt: skip
    implausible_discount_pct: float = reloadable(
        60.0, "further under the median than this, from a seller with under 50 feedback, "
        "is flagged as too good to be true", gt=0, le=100,
    )  # fmt: skip
    auction_final_hours: float = reloadable(
        6.0, "an auction's current bid counts as its price only this close to its end",
        ge=0, le=240,
    )  # fmt: skip
    weights: ScoringWeights = reloadable(ScoringWeights(), "adjustment weights (sum to 1)")

    @model_validator(mode="after")
    def _mature_after_cold(self) -> ScoringSettings:
        if self.alert_min_samples < self.cold_start_min_samples:
            raise ValueError(
                f"alert_min_samples ({self.alert_min_samples}) must be at least "
                f"cold_start_min_samples ({self.cold_start_min_samples})"
            )
        return self


def _apprise_url(value: SecretStr) -> SecretStr:
    """An Apprise URL that Apprise can load; the reason names no part of the URL."""
    from core.alerts.apprise import url_problem  # imports apprise only when URLs are set

    problem = url_problem(value.get_secret_value())
    if problem is not None:
        raise ValueError(problem)
    return value


class AlertSettings(Section):
    delivery: Literal["auto", "discord", "webhook", "apprise", "console"] = Field(
        "auto",
        description="auto: discord with a token, else the webhook with a URL, else apprise "
        "with apprise_urls, else console",
    )
    apprise_urls: list[Annotated[SecretStr, AfterValidator(_apprise_url)]] = Field(
        default_factory=list,
        description="Apprise URLs alerts go to with delivery apprise (ntfy://, gotifys://, "
        "mailtos://, ...); secrets: they hold tokens and passwords",
    )
    apprise_timeout_seconds: float = reloadable(
        15.0, "how long one Apprise notification may take before it is retried later", gt=0,
        le=300,
    )  # fmt: skip
    digest_threshold: int = reloadable(
        5, "more alerts than this for one channel in digest_window_seconds become a digest", ge=1
    )
    digest_window_seconds: int = reloadable(60, "burst window for digests", ge=1, le=3600)
    default_realert_step_pct: float = reloadable(
        5.0, "unit-price drop (%) before a listing alerts again", ge=0, le=100
    )
    max_delivery_attempts: int = reloadable(8, "attempts before an alert fails", ge=1, le=100)
    delivery_lease_seconds: float = reloadable(
        60.0,
        "how long a sender holds a message it is sending (renewed while the send lasts); "
        "a crashed sender's messages are sent again after it",
        ge=1,
        le=3600,
    )
    delivery_poll_seconds: float = reloadable(
        30.0,
        "how often senders look at the outbox unasked: new alerts wake them at once (a "
        "PostgreSQL notification) and retries when due; this is the fallback",
        ge=1,
        le=3600,
    )

    @model_validator(mode="after")
    def _apprise_needs_urls(self) -> AlertSettings:
        if self.delivery == "apprise" and not self.apprise_urls:
            raise ValueError(
                "delivery = 'apprise' needs alerts.apprise_urls, e.g. "
                '["ntfy://ntfy.example.org/deals"]'
            )
        return self


class ScheduleSettings(Section):
    default_poll_interval_seconds: int = reloadable(
        900, "how often a new watch searches eBay", ge=60, le=86400
    )
    ingest_tick_seconds: float = reloadable(
        5.0, "how often the scheduler looks for due watches", gt=0, le=600
    )
    sweep_interval_hours: float = reloadable(
        24.0, "hours between a watch's sweep runs past the newest page", gt=0, le=720
    )
    lease_seconds: int = Field(
        300, ge=10, le=86400, description="how long a process holds a watch it is running"
    )
    baseline_refresh_seconds: int = reloadable(
        3600, "full baseline refresh interval", ge=60, le=86400
    )
    health_check_seconds: int = reloadable(30, "external service ping interval", ge=5, le=3600)
    listing_stale_after_hours: int = reloadable(
        72, "unseen listings become inactive after this", ge=1, le=8760
    )


class WebSettings(Section):
    enabled: bool = Field(True, description="serve the dashboard at / on the side server")
    admin_token: SecretStr | None = Field(
        None, description="token that unlocks dismiss, restore and pause; unset: read-only"
    )
    page_size: int = reloadable(50, "rows per page of the dashboard's lists", ge=10, le=200)


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = reloadable("INFO", "log level")
    format: Literal["auto", "json", "text"] = reloadable(
        "auto", "auto: readable on a terminal, JSON lines otherwise"
    )

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class Settings(BaseSettings):
    """Everything spt can be told. Build it with `load_settings`, not directly."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_ignore_empty=True,
        extra="forbid",
        frozen=True,
        case_sensitive=False,
    )

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    sidecar: SidecarSettings = Field(default_factory=SidecarSettings)
    discord: DiscordSettings = Field(default_factory=DiscordSettings)
    ebay: EbaySettings = Field(default_factory=EbaySettings)
    resilience: ResilienceSettings = Field(default_factory=ResilienceSettings)
    extract: ExtractSettings = Field(default_factory=ExtractSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)


class ConfigError(Exception):
    """Settings that cannot be used; `lines` has one readable line per problem."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class Layer:
    """One source of values, and a label for each key it sets."""

    name: Literal["file", "secrets", "env", "cli"]
    values: dict[str, Any]
    origins: dict[tuple[str, ...], str] = field(default_factory=dict)

    def origin(self, path: tuple[str, ...]) -> str:
        """Where this layer got the value at `path` (a file, a variable, a flag)."""
        for depth in range(len(path), -1, -1):
            if path[:depth] in self.origins:
                return self.origins[path[:depth]]
        return self.name


@dataclass(frozen=True)
class LoadedSettings:
    """Validated settings plus the layers they came from."""

    settings: Settings
    layers: tuple[Layer, ...]
    config_path: Path | None

    def source_of(self, path: tuple[str, ...]) -> str:
        """`default`, or the label of the highest layer that set this key."""
        return _source_of(self.layers, path)


def _source_of(layers: tuple[Layer, ...], path: tuple[str, ...]) -> str:
    for layer in reversed(layers):
        if _lookup(layer.values, path) is not _MISSING:
            return layer.origin(path)
    return "default"


_MISSING = object()


def _lookup(values: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = values
    for part in path:
        if isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]  # an item of a list (alerts.apprise_urls[1])
            continue
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def resolve_config_path(explicit: Path | None, environ: Mapping[str, str]) -> Path | None:
    """`--config`, else $SPT_CONFIG, else ./config.toml when it exists, else none."""
    if explicit is not None:
        return explicit
    if environ.get(CONFIG_ENV):
        return Path(environ[CONFIG_ENV])
    default = Path(DEFAULT_CONFIG_NAME)
    return default if default.is_file() else None


def read_config_file(path: Path) -> Layer:
    """Parse config.toml into a layer; a missing or malformed file is a ConfigError."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"config file {path}: not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"config file {path}: cannot be read ({exc})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError([f"config file {path}: not valid TOML: {exc}"]) from None
    return Layer("file", data, {(): f"file {path}"})


def resolve_env_file(config_path: Path | None, environ: Mapping[str, str]) -> Path | None:
    """$SPT_ENV_FILE, else spt.env beside the config file (or here) when it exists."""
    if environ.get(ENV_FILE_ENV):
        return Path(environ[ENV_FILE_ENV])
    folder = config_path.parent if config_path is not None else Path()
    default = folder / DEFAULT_ENV_FILE
    return default if default.is_file() else None


def read_env_file(path: Path) -> Layer:
    """The secrets file as a layer under the environment (same names: DISCORD_TOKEN,
    SPT_SECTION__KEY); a missing or unreadable file is a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"secrets file {path}: not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([f"secrets file {path}: cannot be read ({exc})"]) from None
    values = {k: v for k, v in dotenv_values(stream=io.StringIO(text)).items() if v}
    layer = read_environment(values, f"secrets file {path.name}: ")
    return Layer("secrets", layer.values, layer.origins)


def read_environment(environ: Mapping[str, str], label: str = "env ") -> Layer:
    """SPT_* variables (`__` nests) over the conventional names such as DISCORD_TOKEN."""
    values: dict[str, Any] = {}
    origins: dict[tuple[str, ...], str] = {}
    for name, target in CONVENTIONAL_ENV.items():
        if environ.get(name):
            _assign(values, target, environ[name])
            origins[target] = f"{label}{name}"
    source = EnvSettingsSource(
        Settings,
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_ignore_empty=True,
        case_sensitive=False,
    )
    source.env_vars = {k.lower(): v for k, v in environ.items() if v}
    try:
        spt_values = source()
    except SettingsError as exc:
        raise ConfigError(_unreadable_variables(environ) or [f"environment: {exc}"]) from None
    for path, value in _leaves(spt_values):
        _assign(values, path, value)
        origins[path] = f"{label}{ENV_PREFIX}{'__'.join(p.upper() for p in path)}"
    return Layer("env", values, origins)


def _unreadable_variables(environ: Mapping[str, str]) -> list[str]:
    """One line per SPT_* variable of a list setting whose value is not JSON (pydantic-
    settings reads lists as JSON and says only which section failed). Values are never
    shown: a list may hold secrets (alerts.apprise_urls)."""
    lines = []
    for name, value in sorted(environ.items()):
        if not name.upper().startswith(ENV_PREFIX) or not value:
            continue
        path = tuple(part.lower() for part in name[len(ENV_PREFIX) :].split("__"))
        info = field_at(path)
        if info is None or "list[" not in str(info.annotation):
            continue
        try:
            json.loads(value)
        except ValueError:
            lines.append(f"{_dotted(path)}: {name} holds a list, written as JSON: "
                         """'["first", "second"]' or '[1, 2]'""")  # fmt: skip
    return lines


def parse_cli_overrides(pairs: list[str]) -> Layer:
    """`--set section.key=value` flags; values are read as TOML when they parse, else text."""
    values: dict[str, Any] = {}
    origins: dict[tuple[str, ...], str] = {}
    errors: list[str] = []
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        path = tuple(part.strip() for part in key.strip().split("."))
        if not sep or not all(path):
            errors.append(f"--set {pair!r}: expected section.key=value, e.g. sidecar.port=9321")
            continue
        _assign(values, path, _toml_value(raw.strip()))
        origins[path] = f"flag --set {key.strip()}"
    if errors:
        raise ConfigError(errors)
    return Layer("cli", values, origins)


def cli_layer(overrides: Mapping[tuple[str, ...], tuple[str, Any]], pairs: list[str]) -> Layer:
    """Dedicated flags (e.g. `--sidecar-port`) plus `--set` pairs, flags winning."""
    layer = parse_cli_overrides(pairs)
    for path, (flag, value) in overrides.items():
        if value is not None:
            _assign(layer.values, path, value)
            layer.origins[path] = f"flag {flag}"
    return layer


def _toml_value(raw: str) -> Any:
    try:
        return tomllib.loads(f"v = {raw}")["v"]
    except tomllib.TOMLDecodeError:
        return raw


def _assign(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = target
    for part in path[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    node[path[-1]] = value


def _leaves(
    values: Mapping[str, Any], prefix: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], Any]]:
    for key, value in values.items():
        if isinstance(value, Mapping) and value:
            yield from _leaves(value, (*prefix, key))
        else:
            yield (*prefix, key), value


def _merge(base: dict[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def load_settings(
    config_path: Path | None = None,
    cli: Layer | None = None,
    environ: Mapping[str, str] | None = None,
) -> LoadedSettings:
    """Build settings from every layer; raises ConfigError listing every bad key."""
    env = os.environ if environ is None else environ
    path = resolve_config_path(config_path, env)
    layers = []
    if path is not None:
        layers.append(read_config_file(path))
    secrets = resolve_env_file(path, env)
    if secrets is not None:
        layers.append(read_env_file(secrets))
    layers.append(read_environment(env))
    if cli is not None:
        layers.append(cli)
    merged: dict[str, Any] = {}
    for layer in layers:
        merged = _merge(merged, layer.values)
    try:
        settings = Settings.model_validate(merged)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, tuple(layers))) from None
    return LoadedSettings(settings, tuple(layers), path)


def _explain(exc: ValidationError, layers: tuple[Layer, ...]) -> list[str]:
    lines = []
    for error in exc.errors(include_url=False):
        path = tuple(str(part) for part in error["loc"])
        key = _dotted(path) or "settings"
        source = _source_of(layers, path) if path else "settings"
        info = field_at(path)
        # A list item (alerts.apprise_urls[1]) is secret when its list is.
        secret = any(
            (outer := field_at(path[:depth])) is not None and is_secret(outer)
            for depth in range(1, len(path) + 1)
        )
        if error["type"] == "extra_forbidden":
            known = ", ".join(_known_keys(path[:-1]))
            lines.append(f"{key}: unknown key (from {source}); known keys here: {known}")
            continue
        if error["type"] == "value_error" and isinstance(error["input"], Mapping):
            lines.append(f"{key}: {_expectation(None, error['msg'])} (from {source})")
            continue
        got = "'********'" if secret else _short(error["input"])
        expected = _expectation(info, error["msg"])
        lines.append(f"{key}: got {got} (from {source}); expected {expected}")
    return lines


def _dotted(path: tuple[str, ...]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if part.isdigit() else (f".{part}" if out else part)
    return out


def _short(value: Any) -> str:
    text = json.dumps(value, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def field_at(path: tuple[str, ...]) -> FieldInfo | None:
    """The FieldInfo behind a dotted key, or None for list items and unknown keys."""
    model: Any = Settings
    info: FieldInfo | None = None
    for part in path:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return None
        info = fields[part]
        model = info.annotation
    return info


def _known_keys(path: tuple[str, ...]) -> list[str]:
    model: Any = Settings
    for part in path:
        fields = getattr(model, "model_fields", None)
        if not fields or part not in fields:
            return []
        model = fields[part].annotation
    return sorted(getattr(model, "model_fields", {}))


def is_secret(info: FieldInfo) -> bool:
    """Whether a setting holds a secret (a SecretStr, alone or in a list)."""
    return "SecretStr" in repr(info.annotation)


def is_reloadable(path: tuple[str, ...]) -> bool:
    """Whether the key (or a section containing it) may change without a restart."""
    return any(
        (info := field_at(path[:depth])) is not None and info.json_schema_extra == _RELOADABLE
        for depth in range(1, len(path) + 1)
    )


def _expectation(info: FieldInfo | None, message: str) -> str:
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    if info is None:
        return message[0].lower() + message[1:]
    kind = _kind(info.annotation)
    bounds = []
    for item in info.metadata:
        if isinstance(item, Ge):
            bounds.append(f">= {item.ge}")
        elif isinstance(item, Gt):
            bounds.append(f"> {item.gt}")
        elif isinstance(item, Le):
            bounds.append(f"<= {item.le}")
        elif isinstance(item, Lt):
            bounds.append(f"< {item.lt}")
        if isinstance(item, MinLen) and item.min_length:
            bounds.append(f"at least {item.min_length} character(s)")
        if isinstance(item, MaxLen):
            bounds.append(f"at most {item.max_length} characters")
    if info.description:
        bounds.append(info.description)
    return f"{kind} ({'; '.join(bounds)})" if bounds else kind


def _kind(annotation: Any) -> str:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "a table of keys: " + ", ".join(annotation.model_fields)
    text = repr(annotation)
    if "Literal" in text or "Marketplace" in text:
        values: tuple[Any, ...] | None = getattr(annotation, "__args__", None)
        if annotation is Marketplace:
            values = tuple(m.value for m in Marketplace)
        return "one of " + ", ".join(repr(v) for v in values or ())
    names = {
        "list[int]": "a list of integers",
        "list[Annotated[SecretStr": "a list of strings",
        "bool": "true or false",
        "int": "an integer",
        "float": "a number",
        "Path": "a path",
        "SecretStr": "a string",
        "str": "a string",
    }
    for name, word in names.items():
        if name in text:
            return word + (" or unset" if "None" in text else "")
    return "a value of type " + text
