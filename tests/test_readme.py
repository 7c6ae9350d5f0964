"""The README and docs/ as users read them: no link leaves the repository, every link
inside it resolves, and the watch attributes table is the one filters accept."""

from __future__ import annotations

import re
from pathlib import Path

from core.attributes import attributes_for
from core.models import ComponentType

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
CODE = re.compile(r"```.*?```|`[^`]*`", re.DOTALL)
LINK = re.compile(r"\]\(([^)\s]+)\)")
BARE = re.compile(r"<?\bhttps?://[^\s>)]+")
LOOPBACK = ("http://127.0.0.1", "http://localhost")


def _prose(page: Path) -> str:
    """The page without code (addresses in code are text to type, not links)."""
    return CODE.sub("", page.read_text(encoding="utf-8"))


def test_no_link_points_outside_the_repository() -> None:
    outside = {
        str(page.relative_to(ROOT)): [
            url for url in [*LINK.findall(_prose(page)), *BARE.findall(_prose(page))]
            if url.lstrip("<").startswith(("http:", "https:", "//"))
            and not url.lstrip("<").startswith(LOOPBACK)
        ]
        for page in PAGES
    }  # fmt: skip
    assert {page: urls for page, urls in outside.items() if urls} == {}


def test_every_link_inside_the_repository_resolves() -> None:
    broken = []
    for page in PAGES:
        for target in LINK.findall(_prose(page)):
            path, _, anchor = target.partition("#")
            if target.startswith(("http:", "https:")):
                continue
            file = (page.parent / path).resolve() if path else page
            if not file.exists():
                broken.append(f"{page.name}: {target}")
            elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
                broken.append(f"{page.name}: {target} (no such heading)")
    assert broken == []


def _anchors(page: Path) -> set[str]:
    text = page.read_text(encoding="utf-8")
    found = set(re.findall(r'<a id="([^"]+)"', text))
    for heading in re.findall(r"(?m)^#+ (.+)$", CODE.sub("", text)):
        found.add(re.sub(r"[^a-z0-9 _-]", "", heading.lower()).replace(" ", "-"))
    return found


def test_the_watch_attributes_table_is_what_filters_accept() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Watch attributes", 1)[1].split("\n## ", 1)[0]
    documented: dict[str, set[str]] = {}
    for row in re.findall(r"(?m)^\| (`[a-z]+`(?:, `[a-z]+`)*) \| (.+?) \|", section):
        names = set(re.findall(r"`([a-z_]+)`", row[1])) - {"condition", "quantity"}
        for kind in re.findall(r"`([a-z]+)`", row[0]):
            documented[kind] = names
    common = {"condition", "quantity"}
    expected = {t.value: set(attributes_for(t)) - common for t in ComponentType}
    assert documented == expected
