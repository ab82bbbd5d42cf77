"""Each stage's peak memory, from its metrics into the job record (the monitor's and `spaceport run`'s report)."""

import pytest

from spaceport.criteria import Thresholds
from spaceport.events import SfmCompleted
from spaceport.jobs.fold import fold
from spaceport.jobs.record import StageMemory
from spaceport_app.cli.run import describe_memory
from tests.unit.kernel.samples import JOB, sample_events

pytestmark = pytest.mark.unit


def test_record_states_each_stages_peak_memory() -> None:
    """Folded events give each finished stage's peak RSS, and the GPU's for a trainer that ran on one."""
    record = fold(JOB, sample_events(), Thresholds())
    assert record.stage_memory() == {
        "sfm": StageMemory(peak_rss_bytes=2_400_000_000),
        "trainer": StageMemory(peak_rss_bytes=3_100_000_000, peak_gpu_bytes=500_000_000),
        "compressor": StageMemory(peak_rss_bytes=900_000_000),
    }


def test_stages_not_reached_state_no_memory() -> None:
    """A job that stopped after SfM states SfM's memory only."""
    events = [e for e in sample_events() if isinstance(e, SfmCompleted)]
    assert set(fold(JOB, events, Thresholds()).stage_memory()) == {"sfm"}


def test_memory_is_printed_in_gib() -> None:
    """The CLI line gives RAM, and GPU only where one was used."""
    assert describe_memory(StageMemory(peak_rss_bytes=3 * 2**29)) == "1.50 GiB RAM"
    both = StageMemory(peak_rss_bytes=2**30, peak_gpu_bytes=2**31)
    assert describe_memory(both) == "1.00 GiB RAM, 2.00 GiB GPU"
