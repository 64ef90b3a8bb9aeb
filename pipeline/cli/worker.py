"""``orderflow worker``: run one Faust worker of the saga."""
from __future__ import annotations

import click


@click.command("worker")
@click.option("-l", "--loglevel", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warn", "error"]))
@click.option("--web-port", type=int, default=None,
              help="HTTP port (default: ORDERFLOW_WEB_PORT or 6066).")
def command(loglevel: str, web_port: int | None) -> None:
    """Start a worker: create missing topics, restore tables, process orders."""
    import agents
    from agents import topics
    from pipeline.admin import ensure_topics
    from pipeline.app import settings
    from pipeline.worker import Worker

    app = agents.app
    if web_port is not None:
        app.conf.web_port = web_port
    # Every topic exists before the worker starts: Faust creates changelogs
    # only after its producer has read the cluster's metadata, and a table
    # whose changelog it has not seen fails with PartitionsMismatch.
    changelogs = [table.changelog_topic.get_topic_name() for table in app.tables.values()]
    ensure_topics(settings, [name for t in topics.ALL for name in t.topics] + changelogs, compacted=changelogs)
    Worker(app, loglevel=loglevel).execute_from_commandline()
