"""Library log records (aiormq, aio-pika, uvicorn) come out as the same JSON lines as our own."""

import io
import json
import logging

import pytest

from spaceport.logging import configure_logging

pytestmark = pytest.mark.unit


def test_a_library_traceback_is_one_json_line() -> None:
    """A stdlib record with a traceback renders as one JSON object carrying the logger, level and exception."""
    out = io.StringIO()
    configure_logging("info", "json", out)
    try:
        raise ConnectionResetError("peer went away")
    except ConnectionResetError:
        logging.getLogger("aiormq.connection").error("Unexpected connection close", exc_info=True)
    logging.getLogger().handlers.clear()
    [line] = out.getvalue().strip().splitlines()
    record = json.loads(line)
    assert record["event"] == "Unexpected connection close" and record["level"] == "error"
    assert record["logger"] == "aiormq.connection" and "ConnectionResetError: peer went away" in record["exception"]
