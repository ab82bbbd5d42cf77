"""Retrying the runtime's own storage and broker calls in place, so an outage does not cost a delivery.

A completion-record read, a lease write or a publish that fails because S3 or RabbitMQ is away for a while is
retried here, with the delivery held, for up to `budget_s` (SPACEPORT_INFRA_RETRY_S) with exponential
backoff; only then does the error reach the retry/dead-letter path, which would use up one of the message's
deliveries. `ObjectNotFound` is an answer, not an outage, and is never retried.
"""

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog

from spaceport.backoff import Backoff
from spaceport.storage import ObjectNotFound

log = structlog.get_logger(__name__)
T = TypeVar("T")


async def retry_call(
    call: Callable[[], Awaitable[T]], what: str, budget_s: float, cancelled: Callable[[], bool] = lambda: False
) -> T:
    """`await call()`, retried on any error but `ObjectNotFound` until `budget_s` has passed (then raised)."""
    backoff = Backoff(budget_s)
    attempt = 1
    while True:
        try:
            return await call()
        except ObjectNotFound:
            raise
        except Exception as exc:
            wait = None if cancelled() else backoff.next_wait()
            if wait is None:
                log.error("infrastructure_gave_up", what=what, attempts=attempt, error=f"{type(exc).__name__}: {exc}")
                raise
            log.warning(
                "infrastructure_retry",
                what=what,
                attempt=attempt,
                retry_in_s=round(wait, 2),
                error=f"{type(exc).__name__}: {exc}",
            )
            await asyncio.sleep(wait)
            attempt += 1


async def retry_blocking(
    call: Callable[[], T], what: str, budget_s: float, cancelled: Callable[[], bool] = lambda: False
) -> T:
    """`retry_call` for a blocking function (run in a thread each time)."""
    return await retry_call(lambda: asyncio.to_thread(call), what, budget_s, cancelled)
