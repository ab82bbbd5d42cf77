"""Real services the integration and end-to-end tests talk to: RabbitMQ and an S3-protocol server."""

import asyncio
import socket

import aio_pika

DEFAULT_AMQP = "amqp://guest:guest@127.0.0.1:5672/"


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def broker_reachable(url: str) -> bool:
    """Whether a RabbitMQ answers at `url`."""

    async def probe() -> bool:
        try:
            connection = await aio_pika.connect(url, timeout=5)
        except Exception:
            return False
        await connection.close()
        return True

    return asyncio.run(probe())


async def delete_topology(amqp_url: str, exchange: str, services: tuple[str, ...] = ()) -> None:
    """Delete a test's exchanges and the queues of the services it used."""
    connection = await aio_pika.connect(amqp_url)
    channel = await connection.channel()
    for service in services:
        for queue in (f"{exchange}.{service}", f"{exchange}.{service}.dlq"):
            await channel.queue_delete(queue)
    await channel.exchange_delete(exchange)
    await channel.exchange_delete(f"{exchange}.dlx")
    await connection.close()
