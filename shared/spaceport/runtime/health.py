"""Liveness for orchestrators: a JSON file refreshed every few seconds, and an optional HTTP endpoint."""

import asyncio
import json
import os
import time
from pathlib import Path

import structlog

from spaceport.runtime.worker import Worker

log = structlog.get_logger(__name__)


def held_deliveries(worker: Worker) -> list[dict[str, object]]:
    """Each delivery the worker holds: its job, how long it has been held, and since its last progress."""
    now = time.monotonic()
    return [
        {"job_id": h.job_id, "held_s": round(now - h.since, 1), "idle_s": round(now - h.last_progress, 1)}
        for h in worker.held.values()
    ]


def health_snapshot(worker: Worker, status: str) -> dict[str, object]:
    """What a health probe reports about a worker: `unhealthy` while a delivery is held with no progress for
    longer than `stall_after_s` (a wedged handler, or a delivery that was never settled)."""
    deliveries = held_deliveries(worker)
    now = time.monotonic()
    stalled = [h for h in worker.held.values() if now - h.last_progress > worker.settings.stall_after_s]
    return {
        "service": worker.spec.name,
        "pid": os.getpid(),
        "status": "unhealthy" if stalled and status == "ok" else status,
        "in_flight": worker.in_flight,
        "jobs": sorted(worker.current_jobs),
        "deliveries": deliveries,
        "stalled": len(stalled),
        "handled": worker.handled,
        "failed": worker.failed,
        "time": time.time(),
    }


class HealthReporter:
    """Refreshes `file` (if set) and serves `GET /healthz` on `port` (if set)."""

    def __init__(self, worker: Worker, file: Path | None, port: int | None, interval_s: float = 5.0) -> None:
        self.worker, self.file, self.port, self.interval = worker, file, port, interval_s
        self.status = "starting"
        self._task: asyncio.Task[None] | None = None
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Begin reporting."""
        self.status = "ok"
        if self.file is not None:
            self._task = asyncio.create_task(self._beat())
        if self.port is not None:
            self._server = await asyncio.start_server(self._serve, "0.0.0.0", self.port)
            log.info("health_endpoint", port=self.port)

    async def stop(self) -> None:
        """Report `stopped` and stop."""
        self.status = "stopped"
        self._write()
        if self._task is not None:
            self._task.cancel()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def _write(self) -> None:
        if self.file is None:
            return
        self.file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.file.with_suffix(".tmp")
        tmp.write_text(json.dumps(health_snapshot(self.worker, self.status)))
        os.replace(tmp, self.file)

    async def _beat(self) -> None:
        while True:
            self._write()
            await asyncio.sleep(self.interval)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = await asyncio.wait_for(reader.readline(), timeout=5)
            snapshot = health_snapshot(self.worker, self.status)
            ok = request.startswith(b"GET /healthz") and snapshot["status"] == "ok"
            body = json.dumps(snapshot).encode()
            head = b"HTTP/1.1 200 OK" if ok else b"HTTP/1.1 503 Service Unavailable"
            writer.write(
                head
                + b"\r\nContent-Type: application/json\r\nContent-Length: "
                + str(len(body)).encode()
                + b"\r\nConnection: close\r\n\r\n"
                + body
            )
            await writer.drain()
        finally:
            writer.close()
