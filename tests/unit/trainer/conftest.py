"""Fixtures for trainer tests: one thread (CI has 2 shared cores), a synthetic scene made once."""

from pathlib import Path

import pytest
import torch

from tests.unit.trainer.synthetic import write_synthetic_scene


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def synthetic_scene(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-view 64x48 synthetic scene with a SIMPLE_RADIAL camera and 1200 grey SfM points."""
    return write_synthetic_scene(tmp_path_factory.mktemp("scene"))
