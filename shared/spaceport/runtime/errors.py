"""Typed stage errors: each says what happens to the message."""


class StageError(Exception):
    """Base of errors a handler raises on purpose. `reason` is a short snake_case code."""

    reason: str = "stage_error"

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if reason is not None:
            self.reason = reason


class PermanentError(StageError):
    """Bad input or a failed gate: retrying cannot help. -> StageFailed, then ack."""

    reason = "permanent_error"


class RetryableError(StageError):
    """A transient problem (storage or broker hiccup). -> requeue until the delivery limit, then DLQ."""

    reason = "retryable_error"


class Interrupted(RetryableError):
    """The worker is shutting down: the job goes back to the queue for another worker."""

    reason = "interrupted"
