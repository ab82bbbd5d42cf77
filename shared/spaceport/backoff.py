"""The wait schedule of every in-place retry (the runtime's storage and broker calls, each S3 call): 0.5 s first,
doubling, at most 10 s apart, within a time budget counted from the first try."""

import time

FIRST_DELAY_S = 0.5
MAX_DELAY_S = 10.0


class Backoff:
    """The waits between the tries of one call, made when the call is first tried."""

    def __init__(self, budget_s: float) -> None:
        self.deadline = time.monotonic() + budget_s
        self.delay = FIRST_DELAY_S

    def next_wait(self) -> float | None:
        """Seconds to wait before the next try (the last cut to what is left of the budget); None once it is spent."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            return None
        wait = min(self.delay, left, MAX_DELAY_S)
        self.delay *= 2
        return wait
