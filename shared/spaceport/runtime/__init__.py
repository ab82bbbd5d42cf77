"""The stage runtime: the loop every service runs, its context, errors and entry-point wiring."""

from spaceport.runtime.context import StageContext
from spaceport.runtime.errors import Interrupted, PermanentError, RetryableError, StageError
from spaceport.runtime.stage import Handler, StageSpec
from spaceport.runtime.worker import Worker

__all__ = [
    "Handler",
    "Interrupted",
    "PermanentError",
    "RetryableError",
    "StageContext",
    "StageError",
    "StageSpec",
    "Worker",
]
