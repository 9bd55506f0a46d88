"""Import existing Jekyll archives (``_posts/``-style folders) into the store.

Each post goes through the same extract-and-clean path as a crawled page and the same store, in
a run of its own (spider ``import``), so imported articles are deduplicated by info_code against
what is already there and failures are recorded like a crawl's.  Re-running an import changes
nothing.  Real archives hold the same article twice — as a rolling-feed post (category emnews)
and as the medium's post — so media posts are stored first and a rolling-feed copy of an article
stored from its medium is skipped, never turned into a revision.

Posts are stored in batches as they are read, so memory stays flat and an interrupted import
keeps what it stored: a first pass stores the media posts and only notes which files are
rolling-feed posts, a second pass reads those again and stores them.  A file over the size cap
(:data:`MAX_POST_BYTES`) is refused unread, and anything but a regular file (a FIFO, a device)
is skipped unopened: either would hang the import or exhaust its memory.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import qilucrawl.settings as defaults
from qilucrawl.clean.dates import now_iso
from qilucrawl.clean.media import ROLLING_CATEGORY
from qilucrawl.extract import extract
from qilucrawl.items import JEKYLL, Article, ExtractError, Failure, ListEntry, Page
from qilucrawl.jekyll import Post, PostError, read_post
from qilucrawl.store import SaveCounts, Store

POST_SUFFIXES = (".md", ".markdown", ".html")
# Jekyll's own folders hold layouts and the built site, never posts.
_NOT_POSTS = {"_site", "_layouts", "_includes", ".jekyll-cache", ".git", "node_modules"}
BATCH = 200
# The size cap of a post file: what a crawl downloads of a page at most (DOWNLOAD_MAXSIZE).  Real
# posts are a few KB; a larger file is no post of a news archive, and reading it whole would
# cost memory and minutes for nothing.
MAX_POST_BYTES = defaults.DOWNLOAD_MAXSIZE

IMPORTED, UPDATED, UNCHANGED, SKIPPED, FAILED = "imported", "updated", "unchanged", "skipped", "failed"
_OUTCOMES = {"new": IMPORTED, "updated": UPDATED, "unchanged": UNCHANGED, "refused": SKIPPED}


@dataclass(slots=True)
class FileReport:
    path: str
    outcome: str  # imported, updated, unchanged, skipped, failed
    info_code: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"path": self.path, "outcome": self.outcome, "info_code": self.info_code, "reason": self.reason}


def find_posts(paths: Iterable[str | Path]) -> list[Path]:
    """Post files under the given files and folders, in a stable order (a path given that is
    no folder is taken as it is: what it is is said when it is read)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if not path.is_dir():
            found.append(path)
            continue
        for folder, subfolders, files in os.walk(path):
            subfolders[:] = sorted(d for d in subfolders if d not in _NOT_POSTS)
            found += [Path(folder) / f for f in sorted(files) if f.endswith(POST_SUFFIXES)]
    return found


def import_posts(paths: Iterable[str | Path], store: Store, run_id: int | None) -> list[FileReport]:
    """Import every post under ``paths``, storing them in batches as they are read; one report
    per file: media posts in path order, then rolling-feed posts (which then find the medium's
    post of the same article stored)."""
    reports: list[FileReport] = []
    media_codes: set[str | None] = set()
    rolling: list[Path] = []  # only noted in the first pass: read again in the second
    batch: list[tuple[Path, Article]] = []
    for second_pass, files in ((False, sorted(find_posts(paths), key=str)), (True, rolling)):
        for path in files:
            outcome = _read_one(path)
            if isinstance(outcome, FileReport):
                reports.append(outcome)
                continue
            if not second_pass and _rolling_copy(outcome):
                rolling.append(path)
                continue
            if not second_pass:
                media_codes.add(outcome.info_code)
            batch.append((path, outcome))
            if len(batch) >= BATCH:
                reports += _save(batch, store, run_id, media_codes)
                batch = []
        if batch:
            reports += _save(batch, store, run_id, media_codes)
            batch = []
    _skip_failures_of_stored_articles(reports, store)
    store.count_in_run(run_id, SaveCounts(skipped=sum(r.outcome == SKIPPED for r in reports)))
    store.record_failures(
        [
            Failure(url=r.path, reason=r.reason or r.outcome, stage="import", info_code=r.info_code, spider="import")
            for r in reports
            if r.outcome == FAILED
        ],
        run_id,
    )
    return reports


def _read_one(path: Path) -> Article | FileReport:
    try:
        return read_article(path)
    except (PostError, ExtractError, OSError, UnicodeDecodeError) as error:
        outcome = SKIPPED if isinstance(error, _NotAnArticle) else FAILED
        return FileReport(str(path), outcome, getattr(error, "info_code", None), str(error))


class _NotAnArticle(ExtractError):
    """A post that names no article (a site notice such as 开站大吉): reported, not failed."""


class NotARegularFile(_NotAnArticle):
    """A FIFO, a device or a socket where a post file was expected: skipped, never opened for
    reading (a FIFO would block the import for good)."""


class TooLarge(ExtractError):
    """A file over the size cap: refused unread."""


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))  # fmt: skip


def read_capped(path: Path, limit: int = MAX_POST_BYTES) -> bytes:
    """A regular file's bytes: NotARegularFile for anything else, TooLarge past ``limit``."""
    _regular(path, os.stat(path).st_mode)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # never blocks, should it have become a FIFO
    try:
        info = os.fstat(fd)
        _regular(path, info.st_mode)
        if info.st_size > limit:
            raise TooLarge(too_large(info.st_size, limit))
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew while read
        raise TooLarge(too_large(len(data), limit))
    return data


def _regular(path: Path, mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "no regular file")
        raise NotARegularFile(f"not a regular file ({kind}): not read")


def too_large(size: int, limit: int) -> str:
    return (
        f"too large: {size:,} bytes, over the size cap of {limit // 2**20} MB (a crawl's DOWNLOAD_MAXSIZE;"
        " no post or page is near it): not read"
    )


def read_article(path: Path) -> Article:
    """One post file -> Article (raises PostError / ExtractError saying why not)."""
    body = read_capped(path)
    post = read_post(body.decode("utf-8-sig", errors="replace"), path.name)
    if post.info_code is None:
        raise _NotAnArticle("no identifiable article: no infoCode in the link or the file name")
    try:
        return extract(_page(path, body, post))
    except ExtractError as error:
        error.info_code = post.info_code  # type: ignore[attr-defined]
        raise


def _page(path: Path, body: bytes, post: Post) -> Page:
    entry = ListEntry(
        info_code=post.info_code or "",
        title=post.title or None,
        published=post.published,
        media=post.media,
        digest=post.digest,
        web_url=post.source_url,
        list_url=str(path),
        rolling=post.category == ROLLING_CATEGORY,
    )
    return Page(
        url=path.resolve().as_uri(),
        body=body,
        kind=JEKYLL,
        fetched_at=now_iso(),
        entry=entry,
        source_url=post.source_url,
        spider="import",
    )


def _save(
    batch: list[tuple[Path, Article]], store: Store, run_id: int | None, media_codes: set[str | None]
) -> list[FileReport]:
    reports: list[FileReport] = []
    to_save: list[tuple[Path, Article]] = []
    rolling = [a.info_code for _, a in batch if _rolling_copy(a) and a.info_code]
    stored_media = _stored_media_versions(store, rolling)
    for path, article in batch:
        stored_from = stored_media.get(article.info_code or "")
        from_medium = article.info_code in media_codes or (stored_from is not None and stored_from != article.url)
        if _rolling_copy(article) and from_medium:
            reports.append(
                FileReport(
                    str(path), SKIPPED, article.info_code, "rolling-feed copy of an article stored from its medium"
                )
            )
        else:
            to_save.append((path, article))
    counts = store.save_articles([a for _, a in to_save], run_id)
    for (path, article), outcome in zip(to_save, counts.outcomes):
        reason = counts.reasons.get(article.info_code or "") if outcome == "refused" else None
        reports.append(FileReport(str(path), _OUTCOMES[outcome], article.info_code, reason))
    return reports


def _rolling_copy(article: Article) -> bool:
    """A post filed under the rolling feed (emnews), even when its body names the medium and
    the article is filed under that medium: the medium's own post of it is the one to keep."""
    entry = article.page.entry if article.page else None
    return bool(entry and entry.rolling)


def _skip_failures_of_stored_articles(reports: list[FileReport], store: Store) -> None:
    """A broken post (no title, say) of an article another post supplied is a duplicate, not a loss."""
    failed = [r for r in reports if r.outcome == FAILED and r.info_code]
    stored = store.stored([r.info_code for r in failed if r.info_code]) if failed else set()
    for report in failed:
        if report.info_code in stored:
            report.outcome = SKIPPED
            report.reason = f"{report.reason}; the article is stored from another post"


def _stored_media_versions(store: Store, info_codes: list[str]) -> dict[str, str | None]:
    """Which of these articles are stored under a medium, and from which page (a rolling-feed
    post re-imported finds itself there: that is not a medium's post)."""
    if not info_codes:
        return {}
    marks = ",".join("?" * len(info_codes))
    sql = f"SELECT info_code, url FROM articles WHERE category != ? AND info_code IN ({marks})"
    return {row["info_code"]: row["url"] for row in store.db.query(sql, [ROLLING_CATEGORY, *info_codes])}
