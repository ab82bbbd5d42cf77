"""Fixtures for the SfM tests: downscaled real photo sets, built once per session."""

from pathlib import Path

import pytest

from tests.unit.sfm.scenes import downscale

CASTLE_SIDE = 800
FOX_SIDE = 480


@pytest.fixture(scope="session")
def castle_dir(datasets_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """All 11 sceaux_castle photos at 800 px (EXIF kept), without the K.txt and Readme.txt beside them."""
    source = datasets_dir / "sceaux_castle" / "images"
    names = sorted(p.name for p in source.glob("*.JPG"))
    return downscale(source, tmp_path_factory.mktemp("castle"), names, CASTLE_SIDE)


@pytest.fixture(scope="session")
def fox_dir(datasets_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 24 fox photos (a continuous arc of the orbit) at 480 px."""
    source = datasets_dir / "fox" / "images"
    names = sorted(p.name for p in source.glob("*.jpg"))[:24]
    return downscale(source, tmp_path_factory.mktemp("fox"), names, FOX_SIDE)
