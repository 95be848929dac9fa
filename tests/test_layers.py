"""The packages stack in layers and import only downward (style: a kernel below everything).

core ← sources ← expectations ← reports ← monitoring_site, portal ← orchestration: a module may
import its own package and the ones below it, never one above, not even inside a function. A
package's own tests (portal/*/tests, conftest.py) may drive it from above, like tests/ does."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS: list[set[str]] = [
    {"core"},
    {"sources"},
    {"expectations"},
    {"reports"},
    {"monitoring_site", "portal"},
    {"orchestration"},
]
LEVEL = {package: i for i, layer in enumerate(LAYERS) for package in layer}


def imported_packages(path: Path) -> set[str]:
    """The product packages a module imports, at any depth of its code."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found & LEVEL.keys()


@pytest.mark.parametrize("package", sorted(LEVEL))
def test_a_package_imports_only_its_own_layer_and_the_ones_below(package: str) -> None:
    upward = {
        f"{path.relative_to(ROOT)} → {other}"
        for path in sorted((ROOT / package).rglob("*.py"))
        if "tests" not in path.relative_to(ROOT).parts and path.name != "conftest.py"
        for other in imported_packages(path)
        if LEVEL[other] > LEVEL[package] or (LEVEL[other] == LEVEL[package] and other != package)
    }
    assert not upward, "imports upward or sideways:\n" + "\n".join(sorted(upward))


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from orchestration.cli import app\n    return app\n", encoding="utf-8")
    assert imported_packages(module) == {"orchestration"}
