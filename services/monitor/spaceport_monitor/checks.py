"""Monitor-only checks beside the shared criteria: stalled jobs, dead letters, failure rate."""

from datetime import datetime

from spaceport.criteria import CriterionResult, Thresholds


def stalled_result(stage: str, last_event_at: datetime, now: datetime, t: Thresholds) -> CriterionResult:
    """A running job with no event (progress included) for longer than `stall_after_s`, or than its current
    stage's whole budget where that is shorter."""
    limit = min(t.stall_after_s, t.stage_budget_s.get(stage, t.stall_after_s))
    idle = max((now - last_event_at).total_seconds(), 0.0)
    return CriterionResult(
        name=f"stalled_{stage}",
        stage=stage,
        outcome="fail" if idle > limit else "pass",
        observed=round(idle, 1),
        expected=f"an event within {limit:.0f} s",
        message=f"no progress for {idle:.0f} s while in {stage} (stalled after {limit:.0f} s)" if idle > limit else "",
    )


def dead_letter_result(service: str, queue: str, depth: int) -> CriterionResult:
    """Messages waiting in a service's dead-letter queue."""
    return CriterionResult(
        name=f"dead_letters_{service}",
        stage=service,
        outcome="fail" if depth > 0 else "pass",
        observed=depth,
        expected="0 messages",
        message=f"{depth} message(s) in {queue}" if depth > 0 else "",
    )


def failure_rate_result(failed: int, ended: int, window_s: float, max_rate: float, min_jobs: int) -> CriterionResult:
    """The share of jobs that failed among those that ended within the window (pending below `min_jobs`)."""
    expected = f"<= {max_rate:.0%} of at least {min_jobs} jobs in {window_s:.0f} s"
    if ended < min_jobs:
        return CriterionResult(
            name="failure_rate",
            stage="pipeline",
            outcome="pending",
            observed=failed,
            expected=expected,
            message=f"{ended} job(s) ended in the window",
        )
    rate = failed / ended
    ok = rate <= max_rate
    return CriterionResult(
        name="failure_rate",
        stage="pipeline",
        outcome="pass" if ok else "fail",
        observed=round(rate, 4),
        expected=expected,
        message="" if ok else f"{failed} of {ended} jobs failed in the last {window_s:.0f} s",
    )
