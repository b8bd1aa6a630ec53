"""Dependency directions between corrlearn's packages: imports only run down the data path.

Each top-level package or module of ``corrlearn`` has a layer; a module may import from its own package and from
packages of strictly lower layers. ARCHITECTURE.md explains the layers; a new package gets a layer here first.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "corrlearn"

LAYERS: dict[str, int] = {
    "errors": 0,
    "profiling": 0,
    "lazy": 0,
    "io": 1,
    "distributed": 1,
    "kernels": 1,
    "threads": 2,
    "models": 2,
    "labels": 2,
    "datasets": 3,
    "metrics": 4,
    "affinity": 4,
    "losses": 4,
    "propagate": 5,
    "train": 6,
    "tracking": 7,
    "bench": 8,
    "studio": 9,
    "commands": 10,
    "cli": 11,
    "__main__": 12,
    "__init__": 12,
}


def _unit(path: Path, package: Path) -> str:
    rel = path.relative_to(package).parts
    return rel[0][: -len(".py")] if len(rel) == 1 else rel[0]


def _imported_units(tree: ast.AST) -> set[str]:
    units: set[str] = set()
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "corrlearn":
                names = [f"corrlearn.{a.name}" for a in node.names]
            else:
                names = [node.module]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "corrlearn" and len(parts) > 1 and parts[1] != "__version__":
                units.add(parts[1])
    return units


def upward_imports(package: Path = PACKAGE) -> list[str]:
    """Every import of corrlearn code that is not strictly lower in :data:`LAYERS` (``file: a -> b``)."""
    bad = []
    for path in sorted(package.rglob("*.py")):
        src = _unit(path, package)
        for dst in sorted(_imported_units(ast.parse(path.read_text(encoding="utf-8")))):
            if dst == src:
                continue
            if src not in LAYERS or dst not in LAYERS:
                bad.append(f"{path.relative_to(package.parent)}: {src} -> {dst} (no layer assigned)")
            elif LAYERS[dst] >= LAYERS[src]:
                bad.append(f"{path.relative_to(package.parent)}: {src} -> {dst} (runs back up)")
    return bad


def test_every_import_runs_down_the_layers():
    assert upward_imports() == []


def test_checker_catches_an_upward_import(tmp_path):
    pkg = tmp_path / "corrlearn"
    (pkg / "losses").mkdir(parents=True)
    (pkg / "train").mkdir()
    (pkg / "losses" / "stt.py").write_text("from corrlearn.train.distributed import all_gather_cat\n")
    (pkg / "train" / "trainer.py").write_text("from corrlearn.losses import stt\nimport corrlearn.models\n")
    (pkg / "gadgets.py").write_text("import corrlearn.io\n")
    assert upward_imports(pkg) == [
        "corrlearn/gadgets.py: gadgets -> io (no layer assigned)",
        "corrlearn/losses/stt.py: losses -> train (runs back up)",
    ]


@pytest.mark.parametrize("unit", sorted(LAYERS))
def test_every_layer_names_existing_code(unit):
    assert (PACKAGE / unit).is_dir() or (PACKAGE / f"{unit}.py").is_file()
