"""Webhook delivery from the alert outbox: each alert is posted once, retried on failure, never twice."""

import asyncio
import time

import httpx
import structlog

from spaceport_monitor.alerts import webhook_message
from spaceport_monitor.metrics import MonitorMetrics
from spaceport_monitor.repository import Repository

log = structlog.get_logger(__name__)


class WebhookNotifier:
    """Posts pending alerts to a Slack-compatible webhook. The URL is a secret and is never logged."""

    def __init__(
        self,
        repo: Repository,
        metrics: MonitorMetrics,
        url: str,
        timeout_s: float,
        max_attempts: int,
        dashboard_url: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.repo, self.metrics = repo, metrics
        self.url, self.timeout_s, self.max_attempts = url, timeout_s, max_attempts
        self.dashboard_url = dashboard_url
        self.transport = transport
        self._not_before: dict[int, float] = {}
        self._failures: dict[int, int] = {}

    async def deliver_pending(self) -> int:
        """Send every pending alert once; returns how many were delivered."""
        now = time.monotonic()
        pending = [
            p for p in await asyncio.to_thread(self.repo.pending_webhooks) if self._not_before.get(p.seq, 0.0) <= now
        ]
        if not pending:
            return 0
        delivered = 0
        async with httpx.AsyncClient(
            timeout=self.timeout_s, follow_redirects=False, transport=self.transport
        ) as client:
            for stored in pending:
                ok = await self._post(
                    client,
                    stored.event.job_id,
                    stored.event.data.criterion,
                    webhook_message(stored.event, self.dashboard_url).model_dump_json(),
                )
                await asyncio.to_thread(self.repo.mark_webhook, stored.seq, ok, self.max_attempts)
                self._backoff(stored.seq, ok)
                delivered += ok
        return delivered

    def _backoff(self, seq: int, ok: bool) -> None:
        """After a failure, wait 2, 4, 8... seconds (at most 5 minutes) before the next attempt."""
        if ok:
            self._not_before.pop(seq, None)
            self._failures.pop(seq, None)
            return
        failures = self._failures[seq] = self._failures.get(seq, 0) + 1
        self._not_before[seq] = time.monotonic() + min(2.0**failures, 300.0)

    async def _post(self, client: httpx.AsyncClient, job_id: str, criterion: str, body: str) -> bool:
        try:
            response = await client.post(self.url, content=body, headers={"Content-Type": "application/json"})
        except httpx.HTTPError as exc:
            log.warning("webhook_failed", job_id=job_id, criterion=criterion, error=type(exc).__name__)
            self.metrics.webhooks.labels(result="error").inc()
            return False
        if response.is_success:
            log.info("webhook_sent", job_id=job_id, criterion=criterion, status=response.status_code)
            self.metrics.webhooks.labels(result="sent").inc()
            return True
        log.warning("webhook_failed", job_id=job_id, criterion=criterion, status=response.status_code)
        self.metrics.webhooks.labels(result="error").inc()
        return False
