"""Why a request failed, in words for the failures table."""

from __future__ import annotations

from scrapy import Request
from scrapy import exceptions as scrapy_errors
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
# The same failures under the names Scrapy (2.13+) wraps Twisted's errors in.
_NAMES += [
    (kind, name)
    for attribute, name in (
        ("CannotResolveHostError", "DNS lookup failed"),
        ("DownloadConnectionRefusedError", "connection refused"),
        ("DownloadTimeoutError", "timed out"),
        ("DownloadFailedError", "response failed (connection dropped mid-body)"),
        ("ResponseDataLossError", "response incomplete (connection dropped mid-body)"),
        ("UnsupportedURLSchemeError", "unsupported URL scheme"),
    )
    if (kind := getattr(scrapy_errors, attribute, None)) is not None
]
# A download stopped for its size: with the size when the server announced it, without when the
# body grew past DOWNLOAD_MAXSIZE while arriving.
_CANCELLED = getattr(scrapy_errors, "DownloadCancelledError", None)


def describe_failure(failure: TwistedFailure) -> tuple[str, int | None]:
    """``(reason, HTTP status or None)`` for a request's errback."""
    error = failure.value
    if isinstance(error, HttpError):
        status = error.response.status
        return f"HTTP {status}", status
    if isinstance(error, IgnoreRequest):
        return f"refused: {error}" if str(error) else "refused", None
    if _CANCELLED is not None and isinstance(error, _CANCELLED):
        text = str(error).strip()
        return (f"too large: {text}" if text else "too large: the body passed DOWNLOAD_MAXSIZE")[:500], None
    for kind, name in _NAMES:
        if isinstance(error, kind):
            return name, None
    text = str(error).strip()
    return (f"{type(error).__name__}: {text}" if text else type(error).__name__)[:500], None


def failed_request(failure: TwistedFailure) -> Request:
    """The request an errback's failure is about (Scrapy sets it on the failure)."""
    request: Request = getattr(failure, "request")  # noqa: B009 (Scrapy's attribute, untyped)
    return request
