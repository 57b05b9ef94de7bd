"""The layers of STYLE.md, enforced by reading every import.

    ui -> reviewer_app -> sync -> storage

Arrows point down only. No Qt below ui/. The entry point (reviewer_app/app/cli.py) may import ui/
inside a function, so that every headless command works with no display.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"ui", "reviewer_app", "sync", "storage", "resources"}
QT = {"PySide6", "shiboken6"}

# package -> the packages of ours it may import
ALLOWED: dict[str, set[str]] = {
    "storage": set(),
    "sync": {"storage"},
    "reviewer_app": {"sync", "storage"},
    "ui": {"reviewer_app"},
}
ENTRY_POINTS = {"reviewer_app/app/cli.py", "reviewer_app/__main__.py"}


def _imports(tree: ast.AST) -> list[tuple[str, int, bool]]:
    """(top-level module, line, inside a function) for every import in the tree."""
    found: list[tuple[str, int, bool]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((a.name.split(".")[0], child.lineno, in_function) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                found.append((child.module.split(".")[0], child.lineno, in_function))
            visit(child, nested)

    visit(tree, False)
    return found


def _files(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_down(package: str) -> None:
    problems = []
    for file in _files(package):
        rel = file.relative_to(ROOT).as_posix()
        for module, line, in_function in _imports(ast.parse(file.read_text(encoding="utf-8"))):
            if module in QT and package != "ui":
                problems.append(f"{rel}:{line} imports Qt ({module}) below ui/")
            elif module in OURS and module != package and module not in ALLOWED[package]:
                if rel in ENTRY_POINTS and module == "ui" and in_function:
                    continue
                problems.append(f"{rel}:{line} imports {module} (an arrow pointing up)")
    assert not problems, "\n".join(problems)


def test_ui_has_no_sql() -> None:
    offenders = [
        f.relative_to(ROOT).as_posix()
        for f in _files("ui")
        if any(m == "sqlite3" for m, _, _ in _imports(ast.parse(f.read_text(encoding="utf-8"))))
    ]
    assert not offenders


def test_the_scanner_sees_a_violation(tmp_path: Path) -> None:
    # A test that could never fail would prove nothing: show the scanner catches both kinds.
    tree = ast.parse("import os\nfrom PySide6.QtCore import Qt\ndef f():\n    import ui.app\n")
    assert ("PySide6", 2, False) in _imports(tree)
    assert ("ui", 4, True) in _imports(tree)
