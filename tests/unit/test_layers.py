"""The layers and the rule that keeps them: the kernel imports no service, services import only the kernel,
the shared splat library and themselves, and only the application layer may import anything."""

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.unit

PACKAGES = {
    "spaceport": REPO / "shared" / "spaceport",
    "spaceport_splats": REPO / "shared" / "spaceport_splats",
    "spaceport_app": REPO / "shared" / "spaceport_app",
    "spaceport_sfm": REPO / "services" / "sfm" / "spaceport_sfm",
    "spaceport_trainer": REPO / "services" / "trainer" / "spaceport_trainer",
    "spaceport_compressor": REPO / "services" / "compressor" / "spaceport_compressor",
    "spaceport_monitor": REPO / "services" / "monitor" / "spaceport_monitor",
}
SERVICES = ("spaceport_sfm", "spaceport_trainer", "spaceport_compressor", "spaceport_monitor")
ALLOWED: dict[str, frozenset[str]] = {
    "spaceport": frozenset({"spaceport"}),
    "spaceport_splats": frozenset({"spaceport", "spaceport_splats"}),
    "spaceport_app": frozenset(PACKAGES),
    **{service: frozenset({"spaceport", "spaceport_splats", service}) for service in SERVICES},
}


def first_party_imports(path: Path) -> set[str]:
    """The first-party top-level packages a module imports, at any depth (function-level imports too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found |= {name.split(".")[0] for name in names if name.split(".")[0] in PACKAGES}
    return found


def forbidden_edges(root: Path | None = None) -> list[str]:
    """`module -> package` for every import that breaks the rule (`root`: another checkout, for the test)."""
    edges = []
    for package, folder in PACKAGES.items():
        if root is not None:
            folder = root / folder.relative_to(REPO)
        for path in sorted(folder.rglob("*.py")):
            for imported in sorted(first_party_imports(path) - ALLOWED[package]):
                edges.append(f"{path.relative_to(root or REPO)} -> {imported}")
    return edges


def test_no_module_imports_across_the_layers() -> None:
    """Every first-party import in shared/ and services/ follows the layer rule."""
    assert forbidden_edges() == []


def test_the_rule_catches_a_forbidden_import(tmp_path: Path) -> None:
    """A kernel module importing a service, and a service importing another, are both reported."""
    for folder in PACKAGES.values():
        copy = tmp_path / folder.relative_to(REPO)
        copy.mkdir(parents=True)
        (copy / "__init__.py").write_text("")
    (tmp_path / "shared" / "spaceport" / "bad.py").write_text("def f():\n    from spaceport_monitor.fold import x\n")
    (tmp_path / "services" / "compressor" / "spaceport_compressor" / "bad.py").write_text(
        "import spaceport_trainer.report\n"
    )
    assert forbidden_edges(tmp_path) == [
        "shared/spaceport/bad.py -> spaceport_monitor",
        "services/compressor/spaceport_compressor/bad.py -> spaceport_trainer",
    ]
