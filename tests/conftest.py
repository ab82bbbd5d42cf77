"""Fixtures shared by every test level."""

import os
from pathlib import Path

import pytest

from spaceport.settings import Settings
from spaceport.storage import LocalStore

REPO = Path(__file__).resolve().parents[1]


def datasets_root() -> Path:
    """`../shared/datasets` beside the repository (or `SPACEPORT_DATASETS`)."""
    return Path(os.environ.get("SPACEPORT_DATASETS", REPO.parent / "shared" / "datasets"))


@pytest.fixture(scope="session")
def datasets_dir() -> Path:
    """The read-only real photo sets; tests that need them fail loudly when they are missing."""
    root = datasets_root()
    if not (root / "fox").is_dir():
        pytest.fail(f"datasets not found at {root} (set SPACEPORT_DATASETS)")
    return root


@pytest.fixture
def local_store(tmp_path: Path) -> LocalStore:
    """A fresh local-folder object store."""
    return LocalStore(tmp_path / "store")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for in-process tests: scratch under tmp_path, no retry delay."""
    return Settings(work_dir=tmp_path / "work", retry_backoff_s=0.0, storage_url=f"file://{tmp_path}/store")
