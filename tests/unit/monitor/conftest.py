"""Fixtures of the monitor's unit tests: an in-memory database, a fixed clock, a way to feed events."""

from collections.abc import Callable
from pathlib import Path

import pytest

from spaceport.settings import Settings
from tests.unit.monitor.harness import Harness, build_harness, recorded

__all__ = ["Harness", "MakeHarness", "recorded"]
MakeHarness = Callable[..., Harness]


@pytest.fixture
def make_harness(tmp_path: Path, settings: Settings) -> MakeHarness:
    """Build a harness; keyword arguments override `MonitorSettings`, `criteria=` the thresholds."""

    def make(criteria: dict[str, object] | None = None, webhook: bool = False, **config: object) -> Harness:
        return build_harness(tmp_path, settings, criteria=criteria, webhook=webhook, **config)

    return make


@pytest.fixture
def harness(make_harness: MakeHarness) -> Harness:
    """A harness with default thresholds."""
    return make_harness()
