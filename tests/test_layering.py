"""Architecture rules that keep the layers apart."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORE = ROOT / "core"
# The top-level packages, and which layer each belongs to: `bot/` and `cogs/` together are
# the Discord package (the client loads the cogs; the cogs use the client's helpers).
LAYERS = {"core": "core", "sandbox": "sandbox", "app": "app", "bot": "discord",
          "cogs": "discord"}  # fmt: skip
SQL_KEYWORDS = ("SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM", "CREATE TABLE")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_core_never_imports_discord() -> None:
    files = list(CORE.rglob("*.py"))
    assert len(files) > 5
    offenders = {
        str(path.relative_to(CORE)): sorted(
            n for n in _imports(path) if n.split(".")[0] == "discord"
        )
        for path in files
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def _files(package: str) -> list[Path]:
    files = sorted((ROOT / package).rglob("*.py"))
    assert len(files) > 3, package
    return files


def _layer_imports(package: str) -> dict[str, set[str]]:
    """Each module of `package` -> the other layers it imports (lazy imports included)."""
    own = LAYERS[package]
    found: dict[str, set[str]] = {}
    for path in _files(package):
        layers = {LAYERS[n.split(".")[0]] for n in _imports(path) if n.split(".")[0] in LAYERS}
        if layers - {own}:
            found[str(path.relative_to(ROOT))] = layers - {own}
    return found


def test_core_never_imports_the_application_or_discord_packages() -> None:
    offenders = {k: v for k, v in _layer_imports("core").items() if v & {"app", "discord"}}
    assert offenders == {}


def test_the_application_never_imports_the_discord_package() -> None:
    """The Discord package plugs in through entry points (app/integrations.py); the
    application depends on it in no import, lazy or not."""
    offenders = {k: v for k, v in _layer_imports("app").items() if "discord" in v}
    assert offenders == {}
    uses_discord_py = [str(p.relative_to(ROOT)) for p in _files("app")
                       if any(n.split(".")[0] == "discord" for n in _imports(p))]  # fmt: skip
    assert uses_discord_py == []


def test_no_import_cycle_between_packages() -> None:
    edges = {layer: set[str]() for layer in set(LAYERS.values())}
    for package in LAYERS:
        for layers in _layer_imports(package).values():
            edges[LAYERS[package]] |= layers
    # The layers as they are meant to stack; a cycle shows as an edge pointing upwards.
    order = ["core", "sandbox", "app", "discord"]
    upwards = {(a, b) for a, targets in edges.items() for b in targets
               if order.index(b) >= order.index(a)}  # fmt: skip
    assert upwards == set()
    assert edges["discord"] >= {"app", "core"}  # the rule is about something real


def test_no_sql_or_database_module_outside_core() -> None:
    """Outside core/ the database is reached through core's services and core.storage."""
    offenders = []
    for package in ("app", "bot", "cogs", "sandbox"):
        for path in _files(package):
            text = path.read_text(encoding="utf-8")
            uses_db = any(n == "core.db" or n.startswith("core.db.") for n in _imports(path))
            has_sql = any(f'"{kw}' in text or f"'{kw}" in text for kw in SQL_KEYWORDS)
            if uses_db or has_sql or "from core import db" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def _loaded_after(statement: str) -> set[str]:
    """Top-level names of the modules a fresh interpreter has loaded after `statement`."""
    code = f"import sys, json\n{statement}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=True)  # fmt: skip
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_importing_the_discord_package_loads_no_web_code() -> None:
    modules = [f"{p.parent.name}.{p.stem}" if p.stem != "__init__" else p.parent.name
               for package in ("bot", "cogs") for p in _files(package)]  # fmt: skip
    loaded = _loaded_after("\n".join(f"import {m}" for m in modules))
    assert "bot.client" in loaded
    assert "cogs.watches" in loaded
    web = {m for m in loaded if m.split(".")[:2] in (["app", "web"], ["app", "sidecar"])}
    assert web == set()
    assert "jinja2" not in loaded
    assert "aiohttp_jinja2" not in loaded


def test_importing_the_web_package_loads_no_discord_code() -> None:
    loaded = _loaded_after("import app.web, app.web.pages, app.sidecar, app.cli")
    assert "app.web.pages" in loaded
    discord = {m for m in loaded if m.split(".")[0] in {"bot", "cogs", "discord"}}
    assert discord == set()


def test_core_never_imports_the_sandbox() -> None:
    """The fake eBay is for the demo, tests and benchmarks, not part of the engine."""
    offenders = [
        str(path.relative_to(CORE))
        for path in CORE.rglob("*.py")
        if any(n.split(".")[0] == "sandbox" for n in _imports(path))
    ]
    assert offenders == []


def test_the_sandbox_needs_nothing_of_spt_but_its_models() -> None:
    """A fake that shared the client's code would agree with the client by construction:
    it takes only the vocabulary (marketplaces) and the product-key format it labels its
    catalogue with."""
    sandbox = CORE.parent / "sandbox"
    files = list(sandbox.rglob("*.py"))
    assert len(files) > 5
    used = {n for path in files for n in _imports(path)
            if n.split(".")[0] in {"core", "bot", "cogs"}}  # fmt: skip
    assert used == {"core.models", "core.extract.product_keys"}


def test_sql_lives_only_in_core_db() -> None:
    keywords = SQL_KEYWORDS
    offenders = []
    for path in CORE.rglob("*.py"):
        if path.parent.name == "db":
            continue
        text = path.read_text(encoding="utf-8")
        if any(f'"{kw}' in text or f"'{kw}" in text for kw in keywords):
            offenders.append(str(path.relative_to(CORE)))
    assert offenders == []
