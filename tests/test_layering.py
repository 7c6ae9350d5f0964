"""Architecture rules that keep the layers apart."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parent.parent / "core"


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


def test_core_never_imports_bot_or_cogs() -> None:
    offenders = [
        str(path.relative_to(CORE))
        for path in CORE.rglob("*.py")
        if any(n.split(".")[0] in {"bot", "cogs"} for n in _imports(path))
    ]
    assert offenders == []


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
    keywords = ("SELECT ", "INSERT INTO", "UPDATE ", "DELETE FROM", "CREATE TABLE")
    offenders = []
    for path in CORE.rglob("*.py"):
        if path.parent.name == "db":
            continue
        text = path.read_text(encoding="utf-8")
        if any(f'"{kw}' in text or f"'{kw}" in text for kw in keywords):
            offenders.append(str(path.relative_to(CORE)))
    assert offenders == []
