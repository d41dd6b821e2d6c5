"""The layout is the architecture: `src/emotune` holds `cli.py` and packages only, and each package imports only
from the packages the README's structure diagram lists after it (no upward imports)."""

from __future__ import annotations

import ast
import re

from helpers import ROOT

SRC = ROOT / "src" / "emotune"


def layers() -> list[str]:
    """The packages in the README's diagram, top (entry-side) first."""
    block = (ROOT / "README.md").read_text(encoding="utf-8").split("src/emotune/\n", 1)[1].split("conf/", 1)[0]
    return re.findall(r"^\s+([a-z_]+)/", block, re.MULTILINE)


def emotune_imports(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("emotune."):
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.startswith("emotune.")]
    return found


def test_the_top_level_is_cli_and_packages_the_diagram_lists() -> None:
    entries = {path.name for path in SRC.iterdir() if not path.name.startswith("__")}
    modules = {name for name in entries if name.endswith(".py")}
    assert modules == {"cli.py"}
    assert entries - modules == set(layers())


def test_no_package_imports_from_one_above_it() -> None:
    rank = {package: i for i, package in enumerate(layers())}
    upward = []
    for path in SRC.rglob("*.py"):
        package = path.relative_to(SRC).parts[0]
        if package not in rank:
            continue
        for module in emotune_imports(ast.parse(path.read_text(encoding="utf-8"))):
            target = module.split(".")[1]
            assert target in rank or target == "cli", f"{path}: imports {module}, which is in no layer"
            if target in rank and rank[target] < rank[package]:
                upward.append(f"{path.relative_to(SRC)} imports {module}")
    assert upward == []
