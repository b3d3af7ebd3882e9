"""Running the line: migrate, load content, the worker, the spool, health, pending media."""
from __future__ import annotations

import json

import click

from bot.services import for_command
from bot.settings import ROOT, Settings


@click.command()
@click.option("--revision", default="heads")
def migrate(revision: str) -> None:
    """Apply Alembic migrations to DATABASE_URL."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = Settings.from_env().database_url
    command.upgrade(config, revision)
    click.echo(f"migrated to {revision}")


@click.command("load-content")
def load_content() -> None:
    """Check content/ and mirror its organizations and numbers into the database."""
    from bot.orgs import sync_organizations

    services = for_command()
    count = sync_organizations(services)
    for org in services.catalog.organizations.values():
        click.echo(f"{org.slug:24} {', '.join(org.numbers):20} {'/'.join(org.languages)}")
    click.echo(f"{count} organizations loaded")


@click.command()
@click.option("--burst", is_flag=True, help="Stop once the queue is empty (tests, one-off runs).")
def worker(burst: bool) -> None:
    """RQ worker for media downloads, with the spool drainer and the media sweep in the background."""
    from bot.worker import main

    main(burst=burst)


@click.command("replay-spool")
def replay_spool() -> None:
    """Store messages spooled while the database was unreachable."""
    from bot.line import drainer
    services = for_command()
    click.echo(f"{drainer.replay(services)} spooled messages stored")


@click.command()
def health() -> None:
    """Print the state of the database, Redis and the NLU server."""
    from bot.health import check

    services = for_command()
    click.echo(json.dumps(check(services), indent=2))


@click.command("media-pending")
@click.option("--include-failed", is_flag=True, help="Also retry downloads that failed.")
def media_pending(include_failed: bool) -> None:
    """Download report attachments recorded while the queue was down (or whose queued job was lost)."""
    from bot.line.media import run_pending

    services = for_command()
    counts = run_pending(services, include_failed=include_failed)
    click.echo(", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing pending")
