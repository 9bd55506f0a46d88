"""Commands past one machine: schedule (a backfill over Scrapyd nodes), merge (shards into one
archive), cluster status (the nodes' jobs and the shards' runs).  README, "Past one machine"."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from qilucrawl import api
from qilucrawl.cli.options import (
    CannotRun,
    base_url_option,
    crawl_settings,
    date_option,
    list_url_option,
    said_plainly,
    settings_option,
)
from qilucrawl.jobs import ExitStatus

node_option = click.option(
    "--node",
    "nodes",
    multiple=True,
    required=True,
    metavar="URL",
    help="A Scrapyd node, http://HOST:6800 (repeatable).",
)
shards_option = click.option(
    "--shards",
    "shards",
    multiple=True,
    metavar="PATH",
    help="Shard files, or folders of them (*.db), as seen from here: copied or mounted (repeatable).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


# ---- schedule -----------------------------------------------------------------------------------


@click.group()
# Not required here: `schedule backfill iqilu --help` must answer without a node; the command that
# schedules asks for one.
@click.option("--node", "nodes", multiple=True, metavar="URL", help="A Scrapyd node, http://HOST:6800 (repeatable).")
@click.option("--every", default="month", show_default=True, metavar="month|day|Nd",
              help="Partition size: a calendar month, a day, or N days.")  # fmt: skip
@click.option("--shard-dir", default="shards", show_default=True, metavar="DIR",
              help="Where each job writes its shard (<job id>.db) on its worker, relative to Scrapyd's folder.")  # fmt: skip
@shards_option
@click.option("--dry-run", is_flag=True, help="Print the plan; schedule nothing.")
@json_option
@click.pass_context
def schedule(ctx: click.Context, **options: Any) -> None:
    """Schedule a backfill over Scrapyd nodes, a partition (a month by default) per job.

    Each job has a fixed id (iqilu-2025-03) and writes its own shard; a partition pending,
    running or finished with a finished run in its shard is not scheduled again, so the same
    command can be run again at any time.  The per-domain politeness is divided among the
    nodes.  Example:

    \b
        qilucrawl schedule --node http://10.0.0.5:6800 --node http://10.0.0.6:6800 \\
            backfill iqilu --since 2024-01-01 --until 2025-01-01
    """
    ctx.obj = options


@schedule.group("backfill")
def schedule_backfill() -> None:
    """Schedule a backfill of a source (as `qilucrawl backfill` runs one on this machine)."""


@schedule_backfill.command("iqilu")
@click.option("--since", required=True, callback=date_option, metavar="DATE", help="Oldest day to archive.")
@click.option("--until", callback=date_option, metavar="DATE", help="Archive days before this one [default: tomorrow].")
@base_url_option
@list_url_option
@settings_option
@click.pass_obj
def schedule_iqilu(
    options: dict[str, Any], since: str, until: str | None, base_url: str | None, list_url: str | None,
    overrides: tuple[str, ...],
) -> None:  # fmt: skip
    """Schedule a backfill of iqilu.com over the nodes (see `qilucrawl schedule --help`).

    \b
        qilucrawl schedule --node http://10.0.0.5:6800 backfill iqilu --since 2025-01-01 --until 2025-07-01
    """
    from qilucrawl.cluster.scrapyd import NodeError

    if not options["nodes"]:
        raise click.UsageError("Missing option '--node' (before `backfill`): the Scrapyd nodes to schedule on.")
    with said_plainly():
        try:
            plan = api.schedule(
                options["nodes"], "iqilu", since=since, until=until, every=options["every"], base_url=base_url,
                list_url=list_url, settings=crawl_settings(overrides, None, "INFO"), shard_dir=options["shard_dir"],
                shards=options["shards"], dry_run=options["dry_run"],
            )  # fmt: skip
        except NodeError as error:
            raise CannotRun(f"{error}; nothing was scheduled") from None
    if options["as_json"]:
        click.echo(json.dumps(plan, ensure_ascii=False, indent=2))
    else:
        print_plan(plan)


def print_plan(plan: dict[str, Any]) -> None:
    jobs = plan["jobs"]
    counts: dict[str, int] = {}
    for job in jobs:
        counts[job["action"]] = counts.get(job["action"], 0) + 1
    done = ", ".join(f"{n} {action}" for action, n in counts.items())
    click.echo(
        f"{len(jobs)} partitions over {len(plan['nodes'])} nodes: {done}" + (" (dry run)" if plan["dry_run"] else "")
    )
    shown = ", ".join(f"{name}={value}" for name, value in plan["politeness"].items())
    click.echo(f"each job, {plan['crawlers']} crawling the site at once: {shown}")
    for job in jobs:
        note = f"  ({job['reason']})" if job["reason"] else ""
        click.echo(f"  {job['job']:<22} {job['since']} .. {job['until']}  {job['node']:<24} {job['action']}{note}")


# ---- merge --------------------------------------------------------------------------------------


@click.command()
@click.argument("shards", nargs=-1, required=True, metavar="SHARD…")
@click.option("--into", "into", required=True, type=click.Path(dir_okay=False), help="The archive merged into (created if missing).")  # fmt: skip
@json_option
def merge(shards: tuple[str, ...], into: str, as_json: bool) -> None:
    """Merge shards into one archive by infoCode, through the crawl's save path.

    Each shard is read from a snapshot (safe while it is written); the same content is kept
    once, a changed one becomes a revision ordered by fetch time; runs are copied with their
    (node, shard, run id).  Merging a shard again does nothing; a merge stopped at any point
    is finished by the same command.  Example:

    \b
        qilucrawl merge shards/iqilu-2025-*.db --into archive/qilucrawl.db
    """
    with said_plainly("what was merged is kept; run the same command to finish"):
        result = api.merge(shards, into).as_dict()
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print_merge(result)
    if result["run"]["status"] != "ok":
        sys.exit(ExitStatus.FAILURES)


def print_merge(result: dict[str, Any]) -> None:
    for shard in result["shards"]:
        if shard["unchanged_shard"]:
            click.echo(f"  {shard['path']}: merged already, unchanged since")
            continue
        resumed = f", resumed after row {shard['resumed_after']}" if shard["resumed_after"] else ""
        click.echo(
            f"  {shard['path']}: {shard['articles']} articles: {shard['new']} new, {shard['updated']} updated,"
            f" {shard['historical']} older versions kept, {shard['unchanged']} unchanged, {shard['refused']} refused;"
            f" {shard['runs']} runs, {shard['failures']} failures{resumed}"
        )
    totals, run = result["totals"], result["run"]
    click.echo(
        f"merge run {run['id']} {run['status']}: {totals['new']} new, {totals['updated']} updated,"
        f" {totals['historical']} older versions kept, {totals['unchanged']} unchanged, {totals['refused']} refused"
    )


# ---- cluster status -----------------------------------------------------------------------------


@click.group()
def cluster() -> None:
    """The cluster of Scrapyd nodes (README, "Past one machine")."""


@cluster.command("status")
@node_option
@shards_option
@json_option
def cluster_status(nodes: tuple[str, ...], shards: tuple[str, ...], as_json: bool) -> None:
    """Each node's jobs (pending, running, finished) and each partition's counts and exit status,
    read from its shard's runs.  Exit 4 when a node cannot be asked or a shard cannot be read.

    \b
        qilucrawl cluster status --node http://10.0.0.5:6800 --shards shards/
    """
    from qilucrawl.cluster.scrapyd import NodeError

    with said_plainly():
        try:
            status = api.cluster_status(nodes, shards=shards)
        except NodeError as error:  # a --node that is no URL
            raise click.UsageError(str(error)) from None
    if as_json:
        click.echo(json.dumps(status, ensure_ascii=False, indent=2))
    else:
        print_status(status)
    problems = [item["error"] for item in status["nodes"] + status["partitions"] if item.get("error")]
    if problems:
        click.echo(
            f"qilucrawl: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""), err=True
        )
        sys.exit(ExitStatus.ERROR)


def print_status(status: dict[str, Any]) -> None:
    for node in status["nodes"]:
        if node.get("error"):
            click.echo(f"{node['node']}: {node['error']}")
            continue
        running = ", ".join(f"{job['id']} (pid {job['pid']})" for job in node["running"]) or "-"
        click.echo(
            f"{node['node']}: {len(node['pending'])} pending, {len(node['running'])} running, "
            f"{len(node['finished'])} finished; running: {running}"
        )
        if node["pending"]:
            click.echo(f"  pending: {', '.join(node['pending'])}")
    if status["partitions"]:
        click.echo(
            f"{'partition':<22} {'status':<12} {'exit':>4} {'articles':>8} {'new':>5} {'upd':>5} {'failed':>6}  node"
        )
    for part in status["partitions"]:
        if part.get("error"):
            click.echo(f"{part['partition']:<22} {part['error']}")
            continue
        run = part.get("run") or {}
        exit_status = "-" if part.get("exit_status") is None else part["exit_status"]
        click.echo(
            f"{part['partition']:<22} {part.get('status') or 'no run':<12} {exit_status:>4} {part['articles']:>8}"
            f" {run.get('new', 0):>5} {run.get('updated', 0):>5} {run.get('failed', 0):>6}  {part.get('node') or '-'}"
        )
