"""Settings: precedence of the layers, provenance, and every kind of validation error."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from pydantic import SecretStr

from core.settings import (
    ConfigError,
    Settings,
    cli_layer,
    is_reloadable,
    load_settings,
    parse_cli_overrides,
)

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config.toml"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(**kwargs: object) -> list[str]:
    with pytest.raises(ConfigError) as info:
        load_settings(**kwargs)  # type: ignore[arg-type]
    return info.value.lines


# ------------------------------------------------------------------ precedence


@pytest.mark.parametrize(
    ("layers", "port", "source"),
    [
        (("file", "env", "cli"), 3333, "flag --set sidecar.port"),
        (("file", "env"), 2222, "env SPT_SIDECAR__PORT"),
        (("file",), 1111, "file"),
        ((), 9321, "default"),
        (("file", "cli"), 3333, "flag --set sidecar.port"),
        (("env",), 2222, "env SPT_SIDECAR__PORT"),
    ],
)
def test_flag_beats_env_beats_file_beats_default(
    tmp_path: Path, layers: tuple[str, ...], port: int, source: str
) -> None:
    config = write(tmp_path / "spt.toml", "[sidecar]\nport = 1111\n") if "file" in layers else None
    environ = {"SPT_SIDECAR__PORT": "2222"} if "env" in layers else {}
    cli = parse_cli_overrides(["sidecar.port=3333"]) if "cli" in layers else None
    loaded = load_settings(config, cli, environ)
    assert loaded.settings.sidecar.port == port
    assert loaded.source_of(("sidecar", "port")).startswith(source)


def test_layers_merge_per_key_not_per_section(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", '[sidecar]\nhost = "0.0.0.0"\nport = 1111\n')
    loaded = load_settings(config, None, {"SPT_SIDECAR__PORT": "2222"})
    assert loaded.settings.sidecar.host == "0.0.0.0"
    assert loaded.settings.sidecar.port == 2222
    assert loaded.source_of(("sidecar", "host")) == f"file {config}"


def test_dedicated_flag_beats_set_pair() -> None:
    layer = cli_layer({("sidecar", "port"): ("--sidecar-port", "4444")}, ["sidecar.port=3333"])
    loaded = load_settings(None, layer, {})
    assert loaded.settings.sidecar.port == 4444
    assert loaded.source_of(("sidecar", "port")) == "flag --sidecar-port"


def test_set_values_are_read_as_toml_when_they_parse() -> None:
    layer = parse_cli_overrides(
        ["discord.dev_guild_ids=[1, 2]", "logging.level=debug", "sidecar.enabled=false"]
    )
    settings = load_settings(None, layer, {}).settings
    assert settings.discord.dev_guild_ids == [1, 2]
    assert settings.logging.level == "DEBUG"
    assert settings.sidecar.enabled is False


def test_conventional_environment_names() -> None:
    environ = {
        "DISCORD_TOKEN": "discord-tok",
        "EBAY_CLIENT_ID": "ebay-id",
        "EBAY_CLIENT_SECRET": "ebay-secret",
        "ANTHROPIC_API_KEY": "anthropic-key",
        "OPENAI_API_KEY": "openai-key",
        "DATABASE_URL": "postgresql://u:p@db/spt",
    }
    loaded = load_settings(None, None, environ)
    s = loaded.settings
    assert s.discord.token == SecretStr("discord-tok")
    assert s.ebay.client_id == SecretStr("ebay-id")
    assert s.ebay.client_secret == SecretStr("ebay-secret")
    assert s.llm.anthropic_api_key == SecretStr("anthropic-key")
    assert s.llm.openai_api_key == SecretStr("openai-key")
    assert s.database.url == SecretStr("postgresql://u:p@db/spt")
    assert loaded.source_of(("discord", "token")) == "env DISCORD_TOKEN"


def test_spt_spelling_beats_conventional_name() -> None:
    environ = {"DISCORD_TOKEN": "plain", "SPT_DISCORD__TOKEN": "prefixed"}
    loaded = load_settings(None, None, environ)
    assert loaded.settings.discord.token == SecretStr("prefixed")
    assert loaded.source_of(("discord", "token")) == "env SPT_DISCORD__TOKEN"


def test_empty_environment_values_are_ignored() -> None:
    settings = load_settings(None, None, {"DATABASE_URL": "", "SPT_SIDECAR__PORT": ""}).settings
    assert settings.database.url is None
    assert settings.sidecar.port == 9321


def test_config_path_from_flag_then_env_then_working_directory(tmp_path: Path) -> None:
    flag = write(tmp_path / "flag.toml", "[sidecar]\nport = 1001\n")
    env = write(tmp_path / "env.toml", "[sidecar]\nport = 1002\n")
    write(tmp_path / "config.toml", "[sidecar]\nport = 1003\n")  # tests run in tmp_path
    assert load_settings(flag, None, {"SPT_CONFIG": str(env)}).settings.sidecar.port == 1001
    assert load_settings(None, None, {"SPT_CONFIG": str(env)}).settings.sidecar.port == 1002
    assert load_settings(None, None, {}).settings.sidecar.port == 1003
    (tmp_path / "config.toml").unlink()
    loaded = load_settings(None, None, {})
    assert loaded.config_path is None
    assert loaded.settings.sidecar.port == 9321


def test_defaults() -> None:
    s = load_settings(None, None, {}).settings
    assert (s.sidecar.host, s.sidecar.port) == ("127.0.0.1", 9321)
    assert s.database.url is None
    assert s.database.data_dir.name == "pgdata"
    assert s.extract.backend == "auto"
    assert s.scoring.cold_start_min_samples == 10


# ------------------------------------------------------------------ validation errors

BAD_FILE_VALUES = [
    ("[sidecar]\nport = 70000\n", "sidecar.port: got 70000", "<= 65535"),
    ("[sidecar]\nport = -1\n", "sidecar.port: got -1", ">= 0"),
    ('[sidecar]\nport = "nine"\n', "sidecar.port: got 'nine'", "an integer"),
    ('[sidecar]\nenabled = "maybe"\n', "sidecar.enabled: got 'maybe'", "true or false"),
    ('[logging]\nlevel = "loud"\n', "logging.level: got 'LOUD'", "one of 'DEBUG'"),
    ('[logging]\nformat = "xml"\n', "logging.format: got 'xml'", "one of 'auto'"),
    ('[extract]\nbackend = "gpt"\n', "extract.backend: got 'gpt'", "one of 'rules'"),
    ("[extract]\nconfidence_threshold = 1.5\n", "extract.confidence_threshold: got 1.5", "<= 1"),
    ('[ebay]\ndefault_marketplace = "EBAY_FR"\n', "ebay.default_marketplace: got 'EBAY_FR'",
     "one of 'EBAY_US'"),
    ('[ebay]\napi_base_url = "ftp://x"\n', "ebay.api_base_url: got 'ftp://x'", "a string"),
    ("[ebay]\ndaily_call_budget = -5\n", "ebay.daily_call_budget: got -5", ">= 1"),
    ("[schedule]\ndefault_poll_interval_seconds = 5\n",
     "schedule.default_poll_interval_seconds: got 5", ">= 60"),
    ("[scoring]\ndefault_threshold = 101\n", "scoring.default_threshold: got 101", "<= 100"),
    ("[scoring.weights]\nseller = 0.6\n", "scoring.weights:", "sum to 1, they sum to 1.3"),
    ("[database]\npool_min_size = 20\npool_max_size = 5\n", "database:",
     "pool_min_size (20) must not exceed pool_max_size (5)"),
    ('[discord]\ndev_guild_ids = "123"\n', "discord.dev_guild_ids: got '123'",
     "a list of integers"),
    ("[sidecar]\nprot = 3\n", "sidecar.prot: unknown key", "known keys here: enabled, host, port"),
    ("[sidecarr]\nport = 3\n", "sidecarr: unknown key", "known keys here: alerts, database"),
    ("port = 3\n", "port: unknown key", "sidecar"),
    ("sidecar = 5\n", "sidecar: got 5", "a table of keys: enabled, host, port"),
    ('[scoring]\nweights = "heavy"\n', "scoring.weights: got 'heavy'", "a table of keys: seller"),
    ("[database]\ndata_dir = 5\n", "database.data_dir: got 5", "a path"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "names", "expects"), BAD_FILE_VALUES)
def test_bad_file_value_names_key_value_and_expectation(
    tmp_path: Path, text: str, names: str, expects: str
) -> None:
    config = write(tmp_path / "c.toml", text)
    lines = errors_of(config_path=config, cli=None, environ={})
    assert len(lines) == 1, lines
    assert lines[0].startswith(names), lines
    assert expects in lines[0]
    assert f"from file {config}" in lines[0]


def test_every_bad_key_gets_its_own_line(tmp_path: Path) -> None:
    config = write(
        tmp_path / "c.toml",
        '[sidecar]\nport = -1\n[logging]\nlevel = "x"\n[ebay]\npage_size = 500\n',
    )
    lines = errors_of(config_path=config, cli=None, environ={})
    assert [line.split(":")[0] for line in lines] == [
        "sidecar.port",
        "ebay.page_size",
        "logging.level",
    ]


def test_bad_environment_value_names_the_variable() -> None:
    lines = errors_of(config_path=None, cli=None, environ={"SPT_EBAY__PAGE_SIZE": "lots"})
    assert lines == [
        "ebay.page_size: got 'lots' (from env SPT_EBAY__PAGE_SIZE); "
        "expected an integer (>= 1; <= 200; items per search page)"
    ]


def test_unknown_nested_environment_key_is_reported() -> None:
    lines = errors_of(config_path=None, cli=None, environ={"SPT_SIDECAR__PROT": "1"})
    assert len(lines) == 1
    assert lines[0].startswith("sidecar.prot: unknown key (from env SPT_SIDECAR__PROT)")


def test_malformed_json_list_in_environment() -> None:
    lines = errors_of(config_path=None, cli=None, environ={"SPT_DISCORD__DEV_GUILD_IDS": "[1,"})
    assert len(lines) == 1
    assert lines[0].startswith(
        "discord.dev_guild_ids: SPT_DISCORD__DEV_GUILD_IDS holds a list, written as JSON"
    )


def test_bad_flag_value_names_the_flag() -> None:
    layer = cli_layer({("sidecar", "port"): ("--sidecar-port", "http")}, [])
    lines = errors_of(config_path=None, cli=layer, environ={})
    assert lines == [
        "sidecar.port: got 'http' (from flag --sidecar-port); "
        "expected an integer (>= 0; <= 65535; TCP port of the side server (0: any free port))"
    ]


@pytest.mark.parametrize("pair", ["sidecar.port", "=3", "sidecar..port=3"])
def test_malformed_set_pair(pair: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_cli_overrides([pair])
    assert info.value.lines == [
        f"--set {pair!r}: expected section.key=value, e.g. sidecar.port=9321"
    ]


def test_invalid_toml_names_the_file_and_line(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", "[sidecar]\nport = = 3\n")
    lines = errors_of(config_path=config, cli=None, environ={})
    assert len(lines) == 1
    assert lines[0].startswith(f"config file {config}: not valid TOML")
    assert "line 2" in lines[0]


def test_missing_config_file(tmp_path: Path) -> None:
    lines = errors_of(config_path=tmp_path / "nope.toml", cli=None, environ={})
    assert lines == [f"config file {tmp_path / 'nope.toml'}: not found"]


def test_bad_secret_value_is_not_echoed(tmp_path: Path) -> None:
    config = write(tmp_path / "c.toml", "[discord]\ntoken = 918273645\n")
    lines = errors_of(config_path=config, cli=None, environ={})
    assert len(lines) == 1
    assert lines[0].startswith("discord.token: got '********'")
    assert "918273645" not in lines[0]


def test_a_webhook_url_must_be_discords_and_is_not_echoed() -> None:
    environ = {"SPT_DISCORD__WEBHOOK_URL": "https://hooks.example/secret-path-123"}
    lines = errors_of(config_path=None, cli=None, environ=environ)
    assert len(lines) == 1
    assert lines[0].startswith("discord.webhook_url: got '********'")
    assert "https://discord.com/api/webhooks/<id>/<token>" in lines[0]
    assert "secret-path-123" not in lines[0]
    good = "https://discord.com/api/webhooks/118000000000000077/" + "T0k3n-_." * 8
    loaded = load_settings(None, None, {"SPT_DISCORD__WEBHOOK_URL": good}).settings
    assert loaded.discord.webhook_url is not None
    assert loaded.discord.webhook_url.get_secret_value() == good


# ------------------------------------------------------------------ the shipped config.toml


def _settings_keys() -> set[str]:
    keys: set[str] = set()

    def walk(model: type, prefix: str) -> None:
        for name, info in model.model_fields.items():  # type: ignore[attr-defined]
            annotation = info.annotation
            if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
                walk(annotation, f"{prefix}{name}.")
            else:
                keys.add(f"{prefix}{name}")

    walk(Settings, "")
    return keys


def _documented_keys(text: str) -> dict[str, bool]:
    """Key -> whether a comment line sits directly above it (active or commented-out keys)."""
    section = ""
    found: dict[str, bool] = {}
    previous = ""
    for raw in text.splitlines():
        line = raw.strip()
        if header := re.fullmatch(r"\[([a-z_.]+)\]", line):
            section = header.group(1) + "."
        elif key := re.fullmatch(r"#?\s*([a-z_]+)\s*=.*", line):
            found[section + key.group(1)] = previous.startswith("#")
        previous = line
    return found


def test_shipped_config_lists_and_documents_every_key() -> None:
    documented = _documented_keys(REPO_CONFIG.read_text(encoding="utf-8"))
    assert set(documented) == _settings_keys()
    assert [key for key, has_comment in documented.items() if not has_comment] == []


def test_shipped_config_holds_the_defaults() -> None:
    from_file = load_settings(REPO_CONFIG, None, {}).settings
    assert from_file == load_settings(None, None, {}).settings
    assert tomllib.loads(REPO_CONFIG.read_text(encoding="utf-8"))  # parses on its own


# ------------------------------------------------------------------ reloadable keys


@pytest.mark.parametrize(
    ("key", "reloadable"),
    [
        ("logging.level", True),
        ("scoring.default_threshold", True),
        ("scoring.weights.seller", True),
        ("schedule.default_poll_interval_seconds", True),
        ("discord.alert_channel_id", True),
        ("sidecar.port", False),
        ("database.url", False),
        ("discord.token", False),
        ("extract.workers", False),
    ],
)
def test_reloadable_keys(key: str, reloadable: bool) -> None:
    assert is_reloadable(tuple(key.split("."))) is reloadable


def test_a_list_in_the_environment_must_be_json_and_the_error_names_the_variable() -> None:
    environ = {"SPT_DISCORD__DEV_GUILD_IDS": "123,456",
               "SPT_ALERTS__APPRISE_URLS": "ntfys://ntfy.sh/a-secret-topic"}  # fmt: skip
    with pytest.raises(ConfigError) as info:
        load_settings(None, None, environ)
    assert info.value.lines == [
        "alerts.apprise_urls: SPT_ALERTS__APPRISE_URLS holds a list, written as JSON: "
        """'["first", "second"]' or '[1, 2]'""",
        "discord.dev_guild_ids: SPT_DISCORD__DEV_GUILD_IDS holds a list, written as JSON: "
        """'["first", "second"]' or '[1, 2]'""",
    ]
    assert "a-secret-topic" not in str(info.value)
    loaded = load_settings(None, None, {"SPT_DISCORD__DEV_GUILD_IDS": "[123, 456]"})
    assert loaded.settings.discord.dev_guild_ids == [123, 456]
