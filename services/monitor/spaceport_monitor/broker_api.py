"""RabbitMQ's management API, for what AMQP cannot tell: messages delivered to a consumer and not yet acked.

The queue-depth gauge counts only messages ready in a queue, so a delivery wedged in a worker shows as depth 0;
`unacked` reads `messages_unacknowledged` from `GET /api/queues/{vhost}/{queue}`. Where the management plugin
is not enabled (or not reachable), the figure is None and the gauge is left unset; the monitor says so once.
"""

from dataclasses import dataclass
from urllib.parse import quote, urlsplit

import httpx
import structlog

log = structlog.get_logger(__name__)
MANAGEMENT_PORT = 15672


@dataclass(frozen=True)
class BrokerApi:
    """A management API endpoint and the credentials of the AMQP URL."""

    base_url: str
    vhost: str
    auth: tuple[str, str]
    timeout_s: float = 5.0

    @classmethod
    def from_amqp_url(cls, amqp_url: str, api_url: str | None = None) -> "BrokerApi":
        """The management API beside the broker of `amqp_url` (its host, port 15672) unless `api_url` is given."""
        parts = urlsplit(amqp_url)
        vhost = parts.path.lstrip("/") or "/"
        base = api_url or f"http://{parts.hostname or '127.0.0.1'}:{MANAGEMENT_PORT}"
        return cls(base.rstrip("/"), vhost, (parts.username or "guest", parts.password or "guest"))

    async def unacked(self, queue: str) -> int | None:
        """Messages of `queue` delivered and not yet acked, or None when the API cannot say."""
        url = f"{self.base_url}/api/queues/{quote(self.vhost, safe='')}/{quote(queue, safe='')}"
        try:
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                response = await client.get(url, auth=self.auth)
        except httpx.HTTPError as exc:
            log.debug("broker_api_unreachable", url=self.base_url, error=type(exc).__name__)
            return None
        if response.status_code == 404:
            return 0
        if response.status_code != 200:
            return None
        return int(response.json().get("messages_unacknowledged", 0))
