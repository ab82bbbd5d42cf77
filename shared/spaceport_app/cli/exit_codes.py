"""The exit codes of `spaceport run`, `spaceport demo` and `spaceport submit --wait`, for scripts."""

from collections.abc import Iterable
from enum import IntEnum

from spaceport.criteria import CriterionResult, format_observed


class ExitCode(IntEnum):
    """What a job command's exit status means."""

    OK = 0
    """The job produced a web splat and every evaluated success criterion passed."""
    FAILED = 1
    """The job failed in a stage, or SfM rejected the photos: no splat."""
    USAGE = 2
    """Bad arguments or input: nothing was run."""
    TIMEOUT = 3
    """`--wait` gave up before the job ended (the job may still finish)."""
    CRITERIA_FAILED = 4
    """The job produced a web splat, but one or more success criteria failed (named in the message)."""


def failed_criteria(criteria: Iterable[CriterionResult]) -> list[CriterionResult]:
    """The criteria whose outcome is a failure."""
    return [c for c in criteria if c.outcome == "fail"]


def describe_failed(failed: list[CriterionResult]) -> str:
    """One line naming each failed criterion with what was observed against what was expected."""
    parts = [f"{c.name} ({format_observed(c.observed, c.expected)}, expected {c.expected})" for c in failed]
    noun = "criterion" if len(failed) == 1 else "criteria"
    return f"{len(failed)} success {noun} failed: " + "; ".join(parts)
