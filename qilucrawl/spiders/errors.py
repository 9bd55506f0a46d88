"""Why a request failed, in words for the failures table."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import (
    ConnectionLost,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
    TimeoutError,
)
from twisted.python.failure import Failure as TwistedFailure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

_NAMES: list[tuple[type[BaseException], str]] = [
    (DNSLookupError, "DNS lookup failed"),
    (ConnectionRefusedError, "connection refused"),
    (TimeoutError, "timed out"),
    (TCPTimedOutError, "timed out"),
    (ConnectionLost, "connection lost"),
    (ResponseNeverReceived, "no response (connection dropped)"),
    (ResponseFailed, "response failed (connection dropped mid-body)"),
]


def describe_failure(failure: TwistedFailure) -> tuple[str, int | None]:
    """``(reason, HTTP status or None)`` for a request's errback."""
    error = failure.value
    if isinstance(error, HttpError):
        status = error.response.status
        return f"HTTP {status}", status
    if isinstance(error, IgnoreRequest):
        return f"refused: {error}" if str(error) else "refused", None
    for kind, name in _NAMES:
        if isinstance(error, kind):
            return name, None
    text = str(error).strip()
    return (f"{type(error).__name__}: {text}" if text else type(error).__name__)[:500], None
