"""Which S3 errors the store waits out (outages, overload) and which it raises at once (wrong requests)."""

import pytest
from boto3.exceptions import RetriesExceededError, S3UploadFailedError
from botocore.exceptions import ClientError, ConnectionClosedError, EndpointConnectionError, ReadTimeoutError

from spaceport.storage.s3 import transient

pytestmark = pytest.mark.unit


def _client_error(status: int, code: str) -> ClientError:
    """A ClientError as botocore raises it for an HTTP `status` with error `code`."""
    return ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}, "PutObject")


def test_unreachable_dropped_and_slow_storage_are_transient() -> None:
    """A refused connection, a dropped one, a read timeout, a 5xx and a throttle are waited out."""
    assert transient(EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))
    assert transient(ConnectionClosedError(endpoint_url="http://127.0.0.1:1"))
    assert transient(ReadTimeoutError(endpoint_url="http://127.0.0.1:1"))
    assert transient(_client_error(503, "ServiceUnavailable"))
    assert transient(_client_error(400, "SlowDown"))


def test_wrong_requests_are_not_transient() -> None:
    """A missing key, a refused signature or a bad bucket name is raised at once."""
    assert not transient(_client_error(404, "NoSuchKey"))
    assert not transient(_client_error(403, "AccessDenied"))
    assert not transient(_client_error(400, "InvalidBucketName"))
    assert not transient(ValueError("not storage"))


def test_wrapped_transfer_errors_are_judged_by_their_cause() -> None:
    """boto3's upload and download wrappers are transient exactly when the error they wrap is."""
    try:
        try:
            raise _client_error(500, "InternalError")
        except ClientError:
            raise S3UploadFailedError("Failed to upload") from None
    except S3UploadFailedError as exc:
        wrapped_5xx = exc
    assert wrapped_5xx.__context__ is not None and transient(wrapped_5xx)
    assert transient(RetriesExceededError(ConnectionClosedError(endpoint_url="http://127.0.0.1:1")))
    assert not transient(RetriesExceededError(_client_error(403, "AccessDenied")))
