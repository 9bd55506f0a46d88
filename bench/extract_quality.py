"""Extraction quality on real Chinese news pages with human-made labels: qilucrawl, trafilatura
and readability-lxml side by side.

Run: ``.venv/bin/python -m bench.extract_quality`` (``--pages DIR`` for another copy of the
pages, ``--verbose`` for one line per page).  The pages are ``../shared/data/real-pages``
(see its SOURCES.md); without that folder the benchmark says so and exits 0.

Fairness: each page's bytes are decoded once by qilucrawl's decoder, and the same text and URL
go to all three extractors; qilucrawl is called through ``qilucrawl.extract.extract(Page(...))``,
so the timing and the scores include the whole product path (decode, parse, clean).  Every
extractor is timed from bytes (the shared decode is counted for all three).

Metrics, per page, then averaged over the pages that carry the label:

- body: F1 of the multisets of character bigrams, after NFKC and with all whitespace removed;
- snippets (trafilatura's set): share of must-contain snippets found plus must-not-contain
  snippets absent, in the same normalization;
- title: exact after the same normalization; a label that still carries the site's name
  (``标题_科技_腾讯网``) also accepts the title alone;
- date: right to the precision of the label (year, month, day, or minute when it has a time),
  compared as Beijing wall-clock time; ``date/day`` compares the day only;
- author: every labelled name occurs in the predicted authors (a parenthesised alias in the
  label, ``周思博 (Joel Spolsky)``, is not required).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

# ../shared next to the repository, as the README and the tests find it.
PAGES = Path(
    os.environ.get("QILUCRAWL_REAL_PAGES", Path(__file__).resolve().parents[2] / "shared" / "data" / "real-pages")
)
OUT = Path(__file__).resolve().parent / "out"
BEIJING = timezone(timedelta(hours=8))
EXTRACTORS = ("qilucrawl", "trafilatura", "readability-lxml")
METRICS = ("body", "snippets", "title", "date", "date/day", "author")
TARGET_BODY_MARGIN = 0.02
TARGET_DATE = 0.85
TARGET_AUTHOR = 0.50


@dataclass(slots=True)
class Case:
    """One page and its labels (None: the source does not label that field)."""

    set: str
    name: str
    path: Path
    url: str | None = None
    body: str | None = None
    title: str | None = None
    date: str | None = None
    authors: list[str] | None = None
    with_: list[str] | None = None
    without: list[str] | None = None


@dataclass(slots=True)
class Prediction:
    body: str = ""
    title: str | None = None
    date: str | None = None
    authors: list[str] = field(default_factory=list)
    error: str | None = None


# --------------------------------------------------------------------------- the pages


def load_cases(root: Path) -> list[Case]:
    cases: list[Case] = []
    cases += _cwced(root / "chinese-web-content-extraction-dataset")
    cases += _trafilatura(root / "trafilatura")
    cases += _mozilla(root / "mozilla-readability" / "test-pages")
    cases += _newspaper(root / "newspaper4k")
    cases += _goose(root / "goose3")
    cases += _postlight(root / "postlight-parser")
    cases += _htmldate(root / "htmldate")
    return cases


def _read_label(path: Path) -> str | None:
    if not path.exists():
        return None
    value = path.read_text("utf-8", errors="replace").strip()
    return None if not value or value.upper() in ("UNKNOWN", "UNKNWON") else value


def _cwced(folder: Path) -> list[Case]:
    cases = []
    for page in sorted((folder / "original").glob("*.html")):
        stem = page.stem
        date = _read_label(folder / "date" / f"{stem}.txt")
        if date is not None and _label_parts(date) is None:
            date = None  # one label holds a name instead of a date (SOURCES.md, known defects)
        author = _read_label(folder / "author" / f"{stem}.txt")
        cases.append(
            Case(
                "cwced",
                stem[:8],
                page,
                url=_url_in_page(page.read_bytes()),
                body=_read_label(folder / "cleaned" / f"{stem}.txt"),
                date=date,
                authors=_label_names(author) if author else None,
            )
        )
    return cases


def _trafilatura(folder: Path) -> list[Case]:
    labels = _json(folder / "evaldata.zh-subset.json")
    cases = []
    for url, label in labels.items():
        cases.append(
            Case(
                "trafilatura",
                label["file"][:24],
                folder / "eval" / label["file"],
                url=url,
                title=label.get("title") or None,
                date=label.get("date") or None,
                authors=_label_names(label["author"]) if label.get("author") else None,
                with_=label.get("with") or None,
                without=label.get("without") or None,
            )
        )
    return cases


def _mozilla(folder: Path) -> list[Case]:
    cases = []
    for page in sorted(folder.glob("*/source.html")):
        meta = _json(page.parent / "expected-metadata.json")
        expected = page.parent / "expected.html"
        cases.append(
            Case(
                "mozilla",
                page.parent.name,
                page,
                body=_html_text(expected.read_text("utf-8")) if expected.exists() else None,
                title=meta.get("title") or None,
            )
        )
    return cases


def _newspaper(folder: Path) -> list[Case]:
    cases = []
    for page in sorted((folder / "html").glob("*.html")):
        meta_path = folder / "metadata" / f"{page.stem}.json"
        url = _json(meta_path).get("url") if meta_path.exists() else None
        body = _read_label(folder / "txt" / f"{page.stem}.txt")
        cases.append(
            Case(
                "newspaper4k",
                page.stem,
                page,
                url=url or _url_in_page(page.read_bytes()),
                body=body,
            )
        )
    return cases


def _goose(folder: Path) -> list[Case]:
    cases = []
    for label_path in sorted((folder / "content").glob("*.json")):
        label = _json(label_path)
        page = label_path.with_suffix(".html")
        expected = label.get("expected", {})
        cases.append(Case("goose3", page.stem, page, url=label.get("url"), body=expected.get("cleaned_text")))
    return cases


def _postlight(folder: Path) -> list[Case]:
    cases = []
    for label_path in sorted(folder.glob("*.expected.json")):
        label = _json(label_path)
        page = folder / "fixtures" / label_path.name.replace(".expected.json", ".html")
        published = label.get("date_published")
        if published:  # labelled in UTC; compared as Beijing wall-clock time like every label
            moment = datetime.fromisoformat(published).astimezone(BEIJING)
            published = moment.strftime("%Y-%m-%d %H:%M")
        cases.append(
            Case(
                "postlight",
                page.stem,
                page,
                url=label.get("url"),
                title=label.get("title"),
                date=published,
                authors=_label_names(label["author"]) if label.get("author") else None,
            )
        )
    return cases


def _htmldate(folder: Path) -> list[Case]:
    labels = _json(folder / "expected-dates.zh-subset.json")
    return [
        Case("htmldate", label["file"][:24], folder / label["path"], url=url, date=label["date"])
        for url, label in labels.items()
    ]


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


_URL_MARKERS = (
    re.compile(rb'^\s*<text id="(https?://[^"]+)"'),  # CleanEval-style wrapper
    re.compile(rb"^\s*<!--\s*(https?://\S+?)\s*-->"),  # "Copy outerHTML" captures
    re.compile(rb"""<link[^>]+rel=["']canonical["'][^>]+href=["'](https?://[^"']+)""", re.IGNORECASE),
    re.compile(rb"""<meta[^>]+property=["']og:url["'][^>]+content=["'](https?://[^"']+)""", re.IGNORECASE),
)


def _url_in_page(data: bytes) -> str | None:
    """The page's own URL when the capture recorded it (wrapper, comment, canonical, og:url)."""
    for pattern in _URL_MARKERS:
        if match := pattern.search(data[:200_000]):
            return match.group(1).decode("ascii", "ignore")
    return None


def _html_text(markup: str) -> str:
    import lxml.html

    return lxml.html.fromstring(markup).text_content()


# --------------------------------------------------------------------------- metrics


def normalize(text: str | None) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def bigram_f1(predicted: str, expected: str) -> float:
    a, b = normalize(predicted), normalize(expected)
    grams_a = Counter(a[i : i + 2] for i in range(len(a) - 1))
    grams_b = Counter(b[i : i + 2] for i in range(len(b) - 1))
    overlap = sum((grams_a & grams_b).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(grams_a.values()), overlap / sum(grams_b.values())
    return 2 * precision * recall / (precision + recall)


def snippet_score(predicted: str, with_: list[str], without: list[str]) -> float:
    body = normalize(predicted)
    hits = sum(normalize(s) in body for s in with_) + sum(normalize(s) not in body for s in without)
    return hits / (len(with_) + len(without))


_SEPARATORS = ("_", "|", "｜", "-", "–", "—", "::", "@")


def title_ok(predicted: str | None, expected: str) -> bool:
    got, want = normalize(predicted), normalize(expected)
    if not got:
        return False
    if got == want:
        return True
    # The label keeps the site's name after a separator; the article title alone is right too.
    return len(got) >= 4 and want.startswith(got) and want[len(got) :].startswith(_SEPARATORS)


_LABEL_DATE = re.compile(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?(?:\s+(\d{1,2}):(\d{1,2}))?")
_ANY_DATE = re.compile(
    r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s*T?\s*(\d{1,2})\s*[:时]\s*(\d{1,2}))?"
    r"(?:\s*:\s*\d{1,2}(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?"
)


def _label_parts(label: str) -> tuple[int, ...] | None:
    match = _LABEL_DATE.match(label.strip())
    if match is None:
        return None
    return tuple(int(part) for part in match.groups() if part is not None)


def _predicted_parts(value: str | None) -> tuple[int, ...] | None:
    """(y, m, d[, H, M]) of a predicted date, as Beijing wall-clock time when it has a zone."""
    if not value:
        return None
    match = _ANY_DATE.search(value)
    if match is None:
        return None
    y, m, d, hh, mm, zone = match.groups()
    try:
        moment = datetime(int(y), int(m), int(d), int(hh or 0), int(mm or 0))
    except ValueError:
        return None
    if zone and hh is not None:
        offset = 0 if zone == "Z" else (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 60 + int(zone[-2:]))
        moment = (moment - timedelta(minutes=offset)).replace(tzinfo=UTC).astimezone(BEIJING)
    parts = (moment.year, moment.month, moment.day)
    return parts + ((moment.hour, moment.minute) if hh is not None else ())


def date_ok(predicted: str | None, label: str, *, day_only: bool = False) -> bool:
    want = _label_parts(label)
    got = _predicted_parts(predicted)
    if want is None or got is None:
        return False
    if day_only:
        want = want[:3]
    return got[: len(want)] == want


def _label_names(value: str) -> list[str]:
    value = re.sub(r"[（(][^）)]*[）)]", " ", value)  # "周思博 (Joel Spolsky)": the alias is not required
    return [name for name in re.split(r"[\s、，,;；]+", value) if name]


def author_ok(predicted: list[str], expected: list[str]) -> bool:
    got = [normalize(name) for name in predicted if name]
    return bool(got) and all(any(normalize(name) in p for p in got) for name in expected)


# --------------------------------------------------------------------------- the extractors


def run_qilucrawl(data: bytes, text: str, url: str | None) -> Prediction:
    from qilucrawl.extract import extract
    from qilucrawl.items import Page

    article = extract(Page(url=url or "", body=data, kind="html"))
    return Prediction(article.body_text, article.title, article.published_at, list(article.authors))


_TRAFILATURA_DATE_PARAMS: dict[str, Any] = {}


def run_trafilatura(data: bytes, text: str, url: str | None) -> Prediction:
    import trafilatura

    result = trafilatura.bare_extraction(
        text, url=url, with_metadata=True, date_extraction_params=_TRAFILATURA_DATE_PARAMS
    )
    if result is None:
        return Prediction()
    authors = [name.strip() for name in re.split(r";", result.author or "") if name.strip()]
    return Prediction(result.text or "", result.title, result.date, authors)


def run_readability(data: bytes, text: str, url: str | None) -> Prediction:
    import lxml.html
    from readability import Document

    document = Document(text, url=url)
    summary = document.summary(html_partial=True)
    body = lxml.html.fromstring(summary).text_content() if summary.strip() else ""
    return Prediction(body, document.short_title())


RUNNERS: dict[str, Callable[[bytes, str, str | None], Prediction]] = {
    "qilucrawl": run_qilucrawl,
    "trafilatura": run_trafilatura,
    "readability-lxml": run_readability,
}
# What each extractor can find at all; a field it has no way to return is "n/a", not 0.
SUPPORTS = {
    "qilucrawl": set(METRICS),
    "trafilatura": set(METRICS),
    "readability-lxml": {"body", "snippets", "title"},
}


def _trafilatura_date_params() -> dict[str, Any]:
    """trafilatura's own defaults, asking htmldate for the time as well as the day."""
    from trafilatura.settings import set_date_params

    return {**set_date_params(True), "outputformat": "%Y-%m-%d %H:%M"}


# Module each extractor needs; one that is not installed is reported, not run.
MODULES = {
    "qilucrawl": "qilucrawl",
    "trafilatura": "trafilatura",
    "readability-lxml": "readability",
}


def installed(name: str) -> bool:
    return importlib.util.find_spec(MODULES[name]) is not None


# --------------------------------------------------------------------------- the run


def score(case: Case, prediction: Prediction) -> dict[str, float | None]:
    row: dict[str, float | None] = dict.fromkeys(METRICS)
    if case.body is not None:
        row["body"] = bigram_f1(prediction.body, case.body)
    if case.with_ or case.without:
        row["snippets"] = snippet_score(prediction.body, case.with_ or [], case.without or [])
    if case.title is not None:
        row["title"] = float(title_ok(prediction.title, case.title))
    if case.date is not None:
        row["date"] = float(date_ok(prediction.date, case.date))
        row["date/day"] = float(date_ok(prediction.date, case.date, day_only=True))
    if case.authors:
        row["author"] = float(author_ok(prediction.authors, case.authors))
    return row


def _warm_up(name: str, inputs: list[tuple[Case, bytes]]) -> None:
    """One untimed page first, so imports and caches are not charged to the timed pass."""
    from qilucrawl.clean.encoding import decode

    for case, data in inputs[:1]:
        with contextlib.suppress(Exception):  # only warming up; the timed pass records errors
            RUNNERS[name](data, decode(data)[0], case.url)


def evaluate(cases: list[Case], verbose: bool = False) -> dict[str, Any]:
    from qilucrawl.clean.encoding import decode

    inputs = [(case, case.path.read_bytes()) for case in cases]
    results: dict[str, Any] = {}
    for name in EXTRACTORS:
        if not installed(name):
            results[name] = {"pages": [], "seconds": 0.0, "pages_per_second": None, "missing": True}
            continue
        if name == "trafilatura":
            _TRAFILATURA_DATE_PARAMS.update(_trafilatura_date_params())
        _warm_up(name, inputs)
        rows, seconds = [], 0.0
        for case, data in inputs:
            started = time.perf_counter()
            try:
                text, _ = decode(data)
                prediction = RUNNERS[name](data, text, case.url)
            except Exception as error:  # noqa: BLE001 - a failed page scores 0 and is counted
                prediction = Prediction(error=f"{type(error).__name__}: {error}"[:200])
            seconds += time.perf_counter() - started
            row = score(case, prediction)
            rows.append(
                {
                    "set": case.set,
                    "page": case.name,
                    **row,
                    "error": prediction.error,
                    "predicted": {
                        "title": prediction.title,
                        "date": prediction.date,
                        "authors": prediction.authors,
                    },
                }
            )
            if verbose:
                _print_row(name, case, row, prediction)
        results[name] = {
            "pages": rows,
            "seconds": seconds,
            "pages_per_second": len(inputs) / seconds,
        }
    return results


def _print_row(name: str, case: Case, row: dict[str, float | None], prediction: Prediction) -> None:
    cells = " ".join(f"{k}={v:.2f}" for k, v in row.items() if v is not None)
    extra = f" date={prediction.date!r}/{case.date!r}" if row.get("date") == 0 else ""
    extra += f" authors={prediction.authors!r}/{case.authors!r}" if row.get("author") == 0 else ""
    extra += f" error={prediction.error}" if prediction.error else ""
    print(f"{name:16} {case.set:11} {case.name:24} {cells}{extra}", file=sys.stderr)


def summarize(results: dict[str, Any], groups: dict[str, set[str] | None]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for name, result in results.items():
        for group, sets in groups.items():
            rows = [row for row in result["pages"] if sets is None or row["set"] in sets]
            cells = {}
            for metric in METRICS:
                values = [row[metric] for row in rows if row[metric] is not None]
                supported = metric in SUPPORTS[name]
                cells[metric] = {
                    "mean": (sum(values) / len(values)) if values and supported else None,
                    "n": len(values),
                }
            summary.setdefault(name, {})[group] = cells
    return summary


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for package in (
        "qilucrawl",
        "trafilatura",
        "readability-lxml",
        "htmldate",
        "lxml",
        "charset-normalizer",
    ):
        try:
            found[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            found[package] = "not installed"
    return found


def table(summary: dict[str, Any], results: dict[str, Any], group: str) -> str:
    header = "| extractor | " + " | ".join(METRICS) + " | pages/s |"
    lines = [header, "|" + "---|" * (len(METRICS) + 2)]
    for name in EXTRACTORS:
        cells = summary[name][group]
        shown = ["n/a" if cells[m]["mean"] is None else f"{cells[m]['mean']:.3f}" for m in METRICS]
        if results[name].get("missing"):
            lines.append(f"| {name} | " + " | ".join(["not installed"] * len(METRICS)) + " | |")
            continue
        speed = f"{results[name]['pages_per_second']:.1f}" if group == "all" else ""
        lines.append(f"| {name} | " + " | ".join(shown) + f" | {speed} |")
    counts = summary[EXTRACTORS[0]][group]
    lines.append("| pages labelled | " + " | ".join(str(counts[m]["n"]) for m in METRICS) + " | |")
    return "\n".join(lines)


def targets(summary: dict[str, Any]) -> list[tuple[str, bool, str]]:
    cells = {name: summary[name]["all"] for name in EXTRACTORS}
    ours = cells["qilucrawl"]
    best_other = max(cells[n]["body"]["mean"] or 0.0 for n in EXTRACTORS[1:])
    return [
        (
            f"body F1 >= best other + {TARGET_BODY_MARGIN}",
            (ours["body"]["mean"] or 0) >= best_other + TARGET_BODY_MARGIN,
            f"{ours['body']['mean']:.3f} vs {best_other:.3f}",
        ),
        (
            f"date >= {TARGET_DATE:.0%}",
            (ours["date"]["mean"] or 0) >= TARGET_DATE,
            f"{ours['date']['mean']:.3f}",
        ),
        (
            f"author >= {TARGET_AUTHOR:.0%}",
            (ours["author"]["mean"] or 0) >= TARGET_AUTHOR,
            f"{ours['author']['mean']:.3f}",
        ),
    ]


HOW_FED = (
    "Each page is decoded once by `qilucrawl.clean.encoding.decode`; the same text and URL go "
    "to trafilatura (`bare_extraction(text, url=…, with_metadata=True)`, htmldate asked for "
    "`%Y-%m-%d %H:%M`) and readability-lxml (`Document(text).summary()` text, `.short_title()`; "
    "it finds no date or author: n/a). qilucrawl runs `extract(Page(url, bytes, kind='html'))`. "
    "pages/s counts decode + extraction for all three, one timed pass after one untimed page, "
    "this machine."
)
GROUPS: dict[str, set[str] | None] = {
    "all": None,
    "cwced": {"cwced"},
    "others": {"trafilatura", "mozilla", "newspaper4k", "goose3", "postlight", "htmldate"},
}


def _set_counts(cases: list[Case]) -> str:
    sets = dict.fromkeys(case.set for case in cases)
    return ", ".join(f"{name} {sum(case.set == name for case in cases)}" for name in sets)


def report(cases: list[Case], results: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    summary = summarize(results, GROUPS)
    found = versions()
    parts = [
        "# Extraction quality on Chinese news pages with human-made labels",
        "",
        f"{len(cases)} pages from `{PAGES}`: {_set_counts(cases)}.",
        HOW_FED,
        "",
        "## All labelled pages",
        "",
        table(summary, results, "all"),
        "",
        "## CWCED (69 pages, labels made by hand)",
        "",
        table(summary, results, "cwced"),
        "",
        "## The other sets (trafilatura, mozilla, newspaper4k, goose3, postlight, htmldate)",
        "",
        table(summary, results, "others"),
        "",
        "## Targets",
        "",
    ]
    checks = targets(summary)
    parts += [f"- {'PASS' if ok else 'FAIL'} {what}: {detail}" for what, ok, detail in checks]
    parts += ["", "Versions: " + ", ".join(f"{k} {v}" for k, v in found.items()), ""]
    payload = {
        "pages": len(cases),
        "versions": found,
        "summary": summary,
        "targets": [{"target": what, "ok": ok, "detail": detail} for what, ok, detail in checks],
        "per_page": {name: results[name]["pages"] for name in EXTRACTORS},
        "pages_per_second": {name: results[name]["pages_per_second"] for name in EXTRACTORS},
    }
    return "\n".join(parts), payload


def main(argv: list[str] | None = None) -> int:
    global PAGES
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=PAGES, help="the real-pages folder")
    parser.add_argument("--verbose", action="store_true", help="one line per page on stderr")
    args = parser.parse_args(argv)
    PAGES = args.pages
    if not PAGES.is_dir():
        print(f"skipped: {PAGES} is absent (the evaluation pages are not on this machine)")
        return 0
    cases = [case for case in load_cases(PAGES) if case.path.exists()]
    results = evaluate(cases, verbose=args.verbose)
    text, payload = report(cases, results)
    print(text)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "extract_quality.md").write_text(text, "utf-8")
    (OUT / "extract_quality.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
