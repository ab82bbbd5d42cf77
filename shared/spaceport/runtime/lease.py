"""A short lease in storage: one worker anywhere runs a given job's stage at a time.

Two deliveries of one event can reach two workers on different hosts (a duplicate publish, a redelivery
while the first holder still runs). Before running a handler, a worker writes `jobs/{job}/{stage}/_lease.json`
(its holder id and an expiry), waits a moment and reads it back: the last writer wins, so the loser of a
simultaneous write sees the other holder. The holder renews the lease every third of its lifetime while the
handler runs and deletes it at the end; a holder that died stops renewing, and its lease expires after `ttl_s`
(at once for a holder on this host whose process is gone, or whose pid this process now has: a restarted
container). A worker that finds a live lease held by another waits (its delivery stays unacked, so the job is
neither failed nor lost) until the completion record appears or the lease expires.
"""

import json
import os
import socket
import time
import uuid
from dataclasses import dataclass

from spaceport.storage import ObjectNotFound, ObjectStore, job_key

LEASE_FILE = "_lease.json"


_ISSUED: set[str] = set()


def holder_id() -> str:
    """A new holder name for a worker of this process: host, pid and a random part."""
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    _ISSUED.add(holder)
    return holder


def _dead_here(holder: str) -> bool:
    """Whether `holder` was a process on this host that no longer runs (or whose pid is now ours)."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return holder not in _ISSUED
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


@dataclass(frozen=True)
class Lease:
    """The lease of one job's stage, as one holder sees it."""

    store: ObjectStore
    job_id: str
    stage: str
    holder: str
    ttl_s: float
    settle_s: float = 0.5
    """Between writing the lease and reading it back: two workers that both found it free both write, and both
    read back the later write, so exactly one goes on."""

    @property
    def key(self) -> str:
        """Where the lease lives."""
        return job_key(self.job_id, self.stage, LEASE_FILE)

    def current_holder(self) -> str | None:
        """Who holds an unexpired lease now (None: nobody)."""
        try:
            record = json.loads(self.store.get_bytes(self.key))
        except ObjectNotFound:
            return None
        except ValueError:
            return None  # a torn or foreign file: treat as free, the write below replaces it
        holder = str(record.get("holder", ""))
        if float(record.get("expires_at", 0.0)) <= time.time() or _dead_here(holder):
            return None
        return holder

    def try_acquire(self, event_id: str) -> str | None:
        """Take or renew the lease; None when it is ours, else the other holder's name."""
        other = self.current_holder()
        if other is not None and other != self.holder:
            return other
        self.renew(event_id)
        time.sleep(self.settle_s)  # a competitor that read the lease free before our write writes within this
        other = self.current_holder()
        return None if other == self.holder else other

    def renew(self, event_id: str) -> None:
        """Write the lease with a fresh expiry."""
        record = {"holder": self.holder, "event_id": event_id, "expires_at": time.time() + self.ttl_s}
        self.store.put_bytes(self.key, json.dumps(record).encode())

    def release(self) -> None:
        """Delete the lease if it is still ours."""
        if self.current_holder() == self.holder:
            self.store.delete([self.key])
