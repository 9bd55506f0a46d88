"""A page for ``qilucrawl parse``: bytes given, a saved file, or a URL fetched once."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

from qilucrawl.importer import TooLarge, read_capped, too_large
from qilucrawl.items import ExtractError
from qilucrawl.version import __version__


def read_page(source: str | Path | bytes, cap: int) -> tuple[bytes, str | None]:
    """The page's bytes and where they came from (None for bytes given); ExtractError for one
    over ``cap`` bytes, a file that is no regular file (a FIFO would block for good), or a URL
    that cannot be fetched."""
    if isinstance(source, bytes):
        if len(source) > cap:
            raise TooLarge(too_large(len(source), cap))
        return source, None
    if str(source).startswith(("http://", "https://")):
        return fetch(str(source), cap)
    path = Path(source)
    return read_capped(path, cap), path.resolve().as_uri()


def fetch(url: str, cap: int) -> tuple[bytes, str]:
    """The page at ``url`` and the URL it came from after redirects; ExtractError in one line a
    reader can act on (the server's status, a refused connection, an unknown host)."""
    request = urllib.request.Request(url, headers={"User-Agent": f"qilucrawl/{__version__}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read(cap + 1)
            if len(body) > cap:
                raise TooLarge(too_large(len(body), cap))
            return body, response.geturl()
    except urllib.error.HTTPError as error:
        raise ExtractError(f"the server answered HTTP {error.code} {error.reason}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        said = getattr(reason, "strerror", None) or str(reason) or type(reason).__name__
        raise ExtractError(f"cannot fetch it: {said[:1].lower()}{said[1:]}") from None
