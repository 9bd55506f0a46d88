"""Clean + extract speed of one Qilu-style page or text body, next to two baselines.

Measures ``qilucrawl.extract.extract(Page(...))`` — decode, parse, clean, sanitize, build the
article — on the pages a crawl of these sources fetches: the demo corpus's text-endpoint bodies
(the JSON ``{text|content: body}`` bytes exactly as the endpoint serves them, with the list
context the spider attaches), the demo site's iqilu-style article pages as it serves them, and
the golden Eastmoney and iqilu pages of tests/pages/.

Baselines, on the same bytes in the same run, interleaved round by round so machine noise hits
all three alike:

- ``lxml.html.fromstring(bytes)``: the parse alone, the floor any lxml-based extractor pays
  (target: qilucrawl ≤ 3× it);
- ``trafilatura.extract(bytes, url=…)`` with its defaults (no metadata, so it does less than
  qilucrawl does; target: ≥ 5× slower than qilucrawl).

And one reference without a target: the parse plus a single Python pass over every node
(``tag``, ``text``, ``tail``; a feed body's JSON decoded first), the least work any extractor
written in Python does before it cleans anything.

Per page, the median over the rounds is kept; the figures are totals of those medians (the time
to read the whole set once) per group.  ``--profile`` prints the cProfile hot spots of
qilucrawl's extraction instead.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html

from bench.figures import Figure, add_size_arguments, figure_table, say, size_of
from qilucrawl.demo.server import DemoSite
from qilucrawl.extract import extract
from qilucrawl.items import FEED_TEXT, HTML, ListEntry, Page

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "pages"
ROUNDS = {"quick": 10, "default": 40, "full": 80}
TARGET_LXML = 3.0
TARGET_TRAFILATURA = 5.0


@dataclass(slots=True)
class Sample:
    group: str  # "feed text bodies" or "HTML pages"
    name: str
    page: Page

    def fresh(self) -> Page:
        """A new Page each call: extraction may annotate the one it is given."""
        p = self.page
        return Page(url=p.url, body=p.body, kind=p.kind, content_type=p.content_type, entry=p.entry)


def load_samples() -> list[Sample]:
    site = DemoSite()
    samples = [
        Sample(
            "feed text bodies",
            a.info_code,
            Page(
                url=f"http://choicewzp1.eastmoney.com/NewsData/GetNewsText.do?id={a.info_code}",
                body=json.dumps({a.body_key: a.body}, ensure_ascii=False).encode(),
                kind=FEED_TEXT,
                content_type="application/json; charset=utf-8",
                entry=ListEntry(
                    info_code=a.info_code, title=a.title, published=a.datetime, media=a.media, digest=a.digest
                ),
            ),
        )
        for a in site.feed
        if a.expect is not None  # the readable ones: what a crawl stores
    ]
    for article in site.iqilu:
        for number in range(1, len(article.pages) + 1):
            path = article.path(number)
            for _ in range(4):  # past the "500-then-ok" faults
                status, content_type, body, _headers = site.handle(path, {})
                if status == 200:
                    samples.append(
                        Sample(
                            "HTML pages",
                            f"demo iqilu {path}",
                            Page(url=f"http://news.iqilu.com{path}", body=body, kind=HTML, content_type=content_type),
                        )
                    )
                    break
    for folder in sorted(p for p in GOLDEN.iterdir() if p.is_dir() and p.name in ("iqilu", "eastmoney")):
        golden = json.loads((folder / f"{folder.name.capitalize()}.json").read_text(encoding="utf-8"))
        urls = {name: entry["url"] for name, entry in golden.items()}
        urls.update({c["file"]: c["url"] for entry in golden.values() for c in entry.get("continuations", [])})
        for name, url in sorted(urls.items()):
            samples.append(
                Sample(
                    "HTML pages",
                    f"golden {folder.name}/{name}",
                    Page(url=url, body=(folder / name).read_bytes(), kind=HTML),
                )
            )
    return samples


def _trafilatura() -> Callable[[bytes, str], Any] | None:
    try:
        import trafilatura
    except ImportError:
        return None
    return lambda body, url: trafilatura.extract(body, url=url)


def python_pass(sample: Sample) -> int:
    """The reference: decode a feed body's JSON, parse, read every node once from Python."""
    body = sample.page.body
    if sample.page.kind == FEED_TEXT:
        body = "".join(v for v in json.loads(body).values() if isinstance(v, str)).encode()
    nodes = 0
    for element in lxml.html.fromstring(body).iter():
        nodes += bool(element.tag) + bool(element.text) + bool(element.tail)
    return nodes


def measure(samples: list[Sample], rounds: int) -> dict[str, list[float]]:
    """Per extractor, per sample: the median seconds of one call over ``rounds`` rounds."""
    traf = _trafilatura()
    runners: dict[str, Callable[[Sample], Any]] = {
        "qilucrawl": lambda s: extract(s.fresh()),
        "lxml": lambda s: lxml.html.fromstring(s.page.body),
        "python pass": python_pass,
    }
    if traf is not None:
        runners["trafilatura"] = lambda s: traf(s.page.body, s.page.url)
    times: dict[str, list[list[float]]] = {name: [[] for _ in samples] for name in runners}
    for name, run in runners.items():  # warm up: imports, caches, first-call costs
        for sample in samples:
            run(sample)
    clock = time.perf_counter
    for _ in range(rounds):
        gc.collect()
        for index, sample in enumerate(samples):
            for name, run in runners.items():
                started = clock()
                run(sample)
                times[name][index].append(clock() - started)
    return {name: [statistics.median(t) for t in per_sample] for name, per_sample in times.items()}


def figures_of(samples: list[Sample], medians: dict[str, list[float]]) -> list[Figure]:
    figures = []
    groups = ["feed text bodies", "HTML pages", "all pages"]
    for group in groups:
        index = [i for i, s in enumerate(samples) if group == "all pages" or s.group == group]
        if not index:
            continue
        total = {name: sum(values[i] for i in index) for name, values in medians.items()}
        ours = total["qilucrawl"]
        per_page = statistics.median(medians["qilucrawl"][i] for i in index) * 1e3
        ratio = ours / total["lxml"]
        figures.append(
            Figure(
                what=f"clean + extract, {group} ({len(index)}), total of per-page medians",
                value=ours * 1e3,
                unit="ms",
                baseline="lxml.html.fromstring",
                baseline_value=total["lxml"] * 1e3,
                ratio=ratio,
                ratio_text="× lxml",
                target=f"≤ {TARGET_LXML:g}× lxml",
                passed=ratio <= TARGET_LXML,
                note=f"median page {per_page:.3f} ms",
            )
        )
        figures.append(
            Figure(
                what=f"reference, {group}: parse + one Python pass over every node (no cleaning)",
                value=total["python pass"] * 1e3,
                unit="ms",
                baseline="lxml.html.fromstring",
                baseline_value=total["lxml"] * 1e3,
                ratio=total["python pass"] / total["lxml"],
                ratio_text="× lxml",
            )
        )
        if "trafilatura" in total:
            speedup = total["trafilatura"] / ours
            figures.append(
                Figure(
                    what=f"clean + extract, {group}: trafilatura's time over ours",
                    value=ours * 1e3,
                    unit="ms",
                    baseline="trafilatura.extract",
                    baseline_value=total["trafilatura"] * 1e3,
                    ratio=speedup,
                    ratio_text="× faster",
                    target=f"≥ {TARGET_TRAFILATURA:g}× faster",
                    passed=speedup >= TARGET_TRAFILATURA,
                )
            )
    if "trafilatura" not in medians:
        figures.append(Figure("trafilatura baseline", None, "ms", note="trafilatura not installed"))
    return figures


def run(size: str = "default") -> list[Figure]:
    samples = load_samples()
    say(f"extract_speed: {len(samples)} pages, {ROUNDS[size]} rounds each")
    medians = measure(samples, ROUNDS[size])
    for i, sample in enumerate(samples):
        parts = "  ".join(f"{name} {values[i] * 1e3:7.3f}" for name, values in medians.items())
        say(f"  {sample.name[-44:]:<44} {len(sample.page.body):>6} B  {parts} ms")
    return figures_of(samples, medians)


def profile(rounds: int, top: int = 30) -> str:
    """cProfile of qilucrawl's extraction over every sample, ``rounds`` times."""
    samples = load_samples()
    for sample in samples:
        extract(sample.fresh())
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(rounds):
        for sample in samples:
            extract(sample.fresh())
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_size_arguments(parser)
    parser.add_argument("--profile", action="store_true", help="print cProfile hot spots instead")
    args = parser.parse_args(argv)
    if args.profile:
        print(profile(ROUNDS[size_of(args)]))
        return 0
    figures = run(size_of(args))
    print()
    print(figure_table(figures))
    if args.json:
        from dataclasses import asdict

        args.json.write_text(json.dumps([asdict(f) for f in figures], ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
