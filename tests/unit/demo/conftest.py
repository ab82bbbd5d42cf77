"""Fixtures for the demo-scene tests: one small generated scene shared by the module that asks for it."""

from pathlib import Path

import pytest

from spaceport_app.demo import DemoScene, generate_scene

SMALL = {"views": 5, "seed": 3, "width": 240, "height": 180}


@pytest.fixture(scope="module")
def small_scene(tmp_path_factory: pytest.TempPathFactory) -> DemoScene:
    """A 5-view 240x180 scene (seed 3), generated once per test module."""
    return generate_scene(tmp_path_factory.mktemp("demo") / "scene", **SMALL)


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file below `root`, by relative path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
