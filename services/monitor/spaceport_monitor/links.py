"""Signed, expiring artifact links served by the monitor: no storage credentials ever reach a browser."""

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable

from spaceport.storage import UnsafeKey, safe_relpath
from spaceport_monitor.settings import MonitorSettings


class LinkError(ValueError):
    """A link that is malformed, expired, forged, or for a key outside the jobs folder."""


def _scope(key: str) -> str:
    """The folder a grant covers: one job (`jobs/{job_id}/`), so relative links inside it work."""
    parts = safe_relpath(key).split("/")
    if len(parts) < 3 or parts[0] != "jobs":
        raise LinkError(f"{key!r} is not a job artifact")
    return f"jobs/{parts[1]}/"


class LinkSigner:
    """Links look like `/artifacts/{expiry}.{signature}/jobs/{job_id}/...`.

    The grant is a path segment, so relative references inside a signed folder (`meta.json` naming its
    WebP files) stay signed. The key derives from the API token when one is set, so links survive restarts.
    """

    def __init__(self, secret: bytes | None, ttl_s: float, clock: Callable[[], float] = time.time) -> None:
        base = secret if secret else secrets.token_bytes(32)
        self._key = hashlib.sha256(b"spaceport-artifact-links|" + base).digest()
        self.ttl_s = ttl_s
        self.clock = clock

    def _sign(self, scope: str, expires: int) -> str:
        return hmac.new(self._key, f"{scope}\n{expires}".encode(), hashlib.sha256).hexdigest()[:40]

    def link(self, key: str) -> str:
        """A monitor URL path for `key`, valid for `ttl_s` (rounded up to the hour so pages can cache)."""
        expires = int((self.clock() + self.ttl_s) // 3600 + 1) * 3600
        return f"/artifacts/{expires}.{self._sign(_scope(key), expires)}/{key}"

    def check(self, grant: str, key: str) -> str:
        """The safe key, or `LinkError`."""
        try:
            scope = _scope(key)
        except UnsafeKey as exc:
            raise LinkError(str(exc)) from exc
        expiry, _, signature = grant.partition(".")
        if not expiry.isdigit() or not signature:
            raise LinkError("malformed grant")
        if int(expiry) < self.clock():
            raise LinkError("link expired")
        if not hmac.compare_digest(signature, self._sign(scope, int(expiry))):
            raise LinkError("bad signature")
        return safe_relpath(key)


def signer_for(config: MonitorSettings, clock: Callable[[], float] = time.time) -> LinkSigner:
    """The signer the settings ask for: keyed by `link_secret`, else the API token, else a random key."""
    secret = config.link_secret or config.api_token
    return LinkSigner(secret.get_secret_value().encode() if secret else None, config.link_ttl_s, clock)
