"""The S3 adapter waits out storage outages call by call, on a real S3-protocol server behind a cut proxy."""

import asyncio
import time

import pytest

from spaceport.storage import S3Store
from spaceport.storage.s3 import transient
from tests.support.tcp_proxy import TcpProxy

pytestmark = pytest.mark.integration

OUTAGES = 3
OUTAGE_S = 10.0
WRITERS = 3


def _store(bucket: str, port: int, outage_s: float | None = None) -> S3Store:
    """A store that reaches `bucket` through the proxy on `port`."""
    extra = {} if outage_s is None else {"outage_s": outage_s}
    return S3Store(
        bucket, "p", endpoint_url=f"http://127.0.0.1:{port}", access_key="testing", secret_key="testing", **extra
    )


async def test_outage_after_outage_every_waiting_write_lands(s3_store: S3Store, s3_endpoint: str) -> None:
    """Three 10 s outages in a row, three writes waiting in each: every write lands once storage is back (no
    retry budget shared by the client's calls runs out, as botocore's retry quota did in the second outage)."""
    proxy = TcpProxy("127.0.0.1", int(s3_endpoint.rsplit(":", 1)[1]))
    await proxy.start()
    store = _store(s3_store.bucket, proxy.port)
    loop = asyncio.get_running_loop()
    try:
        for outage in range(OUTAGES):
            proxy.down()
            writes = [
                loop.run_in_executor(None, store.put_bytes, f"o{outage}/w{i}", f"{outage}-{i}".encode())
                for i in range(WRITERS)
            ]
            await asyncio.sleep(OUTAGE_S)
            proxy.up()
            results = await asyncio.gather(*writes, return_exceptions=True)
            assert [r for r in results if isinstance(r, BaseException)] == [], f"outage {outage + 1}"
        keys = await loop.run_in_executor(None, store.list_keys, "")
    finally:
        await proxy.stop()
    assert keys == sorted(f"o{o}/w{i}" for o in range(OUTAGES) for i in range(WRITERS))


async def test_a_call_gives_up_when_its_outage_budget_is_spent(s3_store: S3Store, s3_endpoint: str) -> None:
    """Storage that stays down: a write raises its transient connection error once `outage_s` (2 s) has passed,
    not before and not much after."""
    proxy = TcpProxy("127.0.0.1", int(s3_endpoint.rsplit(":", 1)[1]))
    await proxy.start()
    store = _store(s3_store.bucket, proxy.port, outage_s=2.0)
    proxy.down()
    began = time.monotonic()
    try:
        with pytest.raises(Exception) as caught:
            await asyncio.get_running_loop().run_in_executor(None, store.put_bytes, "k", b"v")
    finally:
        await proxy.stop()
    waited = time.monotonic() - began
    assert transient(caught.value), repr(caught.value)
    assert 2.0 <= waited < 15.0, waited
