"""docs/architecture.md names real things (issue 13, item 11): every backticked path (`lachan/…`, `docs/…`,
`tests/…`) exists, every backticked dotted name (`lachan.core.updates.model_update`) is a module or a name defined
at the top of one, every relative link leads to a file, and every `make <target>` is a target of the Makefile. So
a module that moves or a function that is renamed fails here until the page follows. Reads files only: no
database, no imports of the project."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"

# A whole backticked token that is a path: no spaces, no placeholders (`lachan/<app>/` is prose, not checked).
PATH = re.compile(r"`((?:lachan|docs|tests)/[A-Za-z0-9_.\-/]*)`")
# A whole backticked token that is a dotted name under lachan (`lachan.labs.results.import_check`).
DOTTED = re.compile(r"`(lachan(?:\.[A-Za-z_][A-Za-z0-9_]*)+)`")
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
MAKE = re.compile(r"`make ([a-z][a-z0-9-]*)")


def _text() -> str:
    return DOC.read_text(encoding="utf-8")


def test_the_page_names_enough_to_be_checked():
    # A regex that stopped matching would make the other tests pass on nothing.
    text = _text()
    assert len(set(PATH.findall(text))) >= 40
    assert len(set(DOTTED.findall(text))) >= 15


def test_every_path_exists():
    missing = sorted(p for p in set(PATH.findall(_text())) if not (ROOT / p).exists())
    assert missing == [], "docs/architecture.md names paths that do not exist: fix the page"


def test_every_relative_link_exists():
    links = [t for t in LINK.findall(_text()) if "://" not in t and not t.startswith("mailto:")]
    missing = sorted(t for t in links if not (DOC.parent / t).resolve().exists())
    assert missing == [], "docs/architecture.md links to files that do not exist"


@cache
def _top_level_names(path: Path) -> frozenset[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return frozenset(names)


def _module_file(parts: list[str]) -> Path | None:
    base = ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _resolves(dotted: str) -> bool:
    """A module (file or package), or a module then one name defined at its top level."""
    parts = dotted.split(".")
    if _module_file(parts):
        return True
    module = _module_file(parts[:-1])
    return module is not None and parts[-1] in _top_level_names(module)


def test_every_dotted_name_resolves():
    missing = sorted(d for d in set(DOTTED.findall(_text())) if not _resolves(d))
    assert missing == [], "docs/architecture.md names modules or functions that do not exist: fix the page"


def test_every_make_target_exists():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z][a-z0-9-]*):", makefile, re.MULTILINE))
    missing = sorted(set(MAKE.findall(_text())) - targets)
    assert missing == [], "docs/architecture.md names make targets the Makefile does not have"
