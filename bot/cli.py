"""Command line for operators: `python -m bot.cli COMMAND` (also `make migrate`)."""
from __future__ import annotations

import json

import click

from bot.line.answers.cli import market, relief
from bot.broadcasts.cli import broadcast
from bot.settings import ROOT, Settings


def _services():
    from bot.services import build_services

    return build_services(Settings.from_env())


@click.group()
def cli() -> None:
    """streetline operations."""


@cli.command()
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


@cli.command("load-content")
def load_content() -> None:
    """Check content/ and mirror its organizations and numbers into the database."""
    from bot.orgs import sync_organizations

    services = _services()
    count = sync_organizations(services)
    for org in services.catalog.organizations.values():
        click.echo(f"{org.slug:24} {', '.join(org.numbers):20} {'/'.join(org.languages)}")
    click.echo(f"{count} organizations loaded")
    services.close()


@cli.command()
@click.option("--burst", is_flag=True, help="Stop once the queue is empty (tests, one-off runs).")
def worker(burst: bool) -> None:
    """RQ worker for media downloads, with the spool drainer and the media sweep in the background."""
    from bot.worker import main

    main(burst=burst)


@cli.command("replay-spool")
def replay_spool() -> None:
    """Store messages spooled while the database was unreachable."""
    from bot.line import spool
    services = _services()
    click.echo(f"{spool.replay(services)} spooled messages stored")
    services.close()


@cli.group()
def token() -> None:
    """API tokens (one organization each)."""


@token.command("create")
@click.argument("organization")
@click.argument("name")
def token_create(organization: str, name: str) -> None:
    """Create a token for ORGANIZATION; it is printed once and stored hashed."""
    from bot.desk.tokens import create_token

    services = _services()
    try:
        click.echo(create_token(services, organization, name))
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        services.close()


@token.command("revoke")
@click.argument("organization")
@click.argument("name")
def token_revoke(organization: str, name: str) -> None:
    from bot.desk.tokens import revoke

    services = _services()
    click.echo(f"{revoke(services, organization, name)} token(s) revoked")
    services.close()


@cli.group()
def user() -> None:
    """Organizer accounts for the web pages."""


@user.command("create")
@click.argument("organization")
@click.argument("email")
@click.option("--name", default="", help="Shown on the pages; the email when empty.")
@click.option("--role", type=click.Choice(["organizer", "admin"]), default="organizer", show_default=True)
@click.option("--password", envvar="STREETLINE_PASSWORD", prompt=True, hide_input=True,
              confirmation_prompt=True, help="Asked for when not given (or set STREETLINE_PASSWORD).")
def user_create(organization: str, email: str, name: str, role: str, password: str) -> None:
    """Create an account; the first one of an organization should be --role admin."""
    from bot.desk.accounts import AccountError, create_user

    services = _services()
    try:
        account = create_user(services, organization, email, name, password, role)
        click.echo(f"{account.role} {account.email} created for {account.organization}")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        services.close()


@user.command("password")
@click.argument("email")
@click.option("--password", envvar="STREETLINE_PASSWORD", prompt=True, hide_input=True,
              confirmation_prompt=True)
def user_password(email: str, password: str) -> None:
    """Set a new password for an account."""
    from bot.desk.accounts import AccountError, set_password

    services = _services()
    try:
        set_password(services, email, password)
        click.echo(f"password changed for {email}")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        services.close()


@user.command("disable")
@click.argument("email")
def user_disable(email: str) -> None:
    """Disable an account: it cannot sign in, and its open sessions end at once."""
    from bot.desk.accounts import AccountError, disable_user

    services = _services()
    try:
        disable_user(services, email)
        click.echo(f"disabled {email}; its sessions are over")
    except AccountError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        services.close()


@user.command("demo")
@click.option("--password", envvar="STREETLINE_DEMO_PASSWORD", required=True)
def user_demo(password: str) -> None:
    """Create admin@<org>.demo for each demo organization that has no account yet (never in production)."""
    from sqlalchemy import select

    from bot.desk.accounts import create_user
    from bot.models import User

    settings = Settings.from_env()
    if settings.production:
        raise click.ClickException("demo accounts are for development only")
    services = _services()
    try:
        with services.db() as session:
            taken = set(session.scalars(select(User.organization)))
        for org in services.catalog.organizations.values():
            if org.demo and org.slug not in taken:
                create_user(services, org.slug, f"admin@{org.slug}.demo", f"{org.name} admin", password, "admin")
                click.echo(f"demo admin admin@{org.slug}.demo")
    finally:
        services.close()


@cli.group()
def demo() -> None:
    """The demo history of a demo organization (bot/desk/demo.py; never in production)."""


def _demo_orgs(services, organizations: tuple[str, ...], every: bool) -> list[str]:
    if every:
        return [o.slug for o in services.catalog.organizations.values() if o.demo]
    if not organizations:
        raise click.UsageError("name an organization, or --all for every demo organization")
    return list(organizations)


@demo.command("load")
@click.argument("organizations", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every demo organization in content/.")
@click.option("--if-missing", is_flag=True, help="Skip an organization whose demo history is loaded (make run).")
def demo_load(organizations: tuple[str, ...], every: bool, if_missing: bool) -> None:
    """Twelve weeks of members, reports, closures, a broadcast and a taken-over conversation."""
    import time

    from bot.desk import demo as history
    services = _services()
    try:
        for org in _demo_orgs(services, organizations, every):
            if if_missing and history.registered(services, org).get("contacts"):
                click.echo(f"{org}: demo history already loaded")
                continue
            started = time.monotonic()
            made = history.load(services, org)
            click.echo(f"{org}: demo history loaded in {time.monotonic() - started:.1f} s: "
                       + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in made.items()))
    except history.DemoError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        services.close()


@demo.command("clear")
@click.argument("organizations", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every demo organization in content/.")
def demo_clear(organizations: tuple[str, ...], every: bool) -> None:
    """Remove exactly the rows demo loads made for each ORGANIZATION."""
    from bot.desk import demo as history
    services = _services()
    try:
        for org in _demo_orgs(services, organizations, every):
            gone = history.clear(services, org)
            click.echo(f"{org}: demo history cleared: "
                       + (", ".join(f"{v} {k.replace('_', ' ')}" for k, v in gone.items() if v) or "nothing"))
    except history.DemoError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        services.close()


@cli.command()
def health() -> None:
    """Print the state of the database, Redis and the NLU server."""
    from bot.health import check

    services = _services()
    click.echo(json.dumps(check(services), indent=2))
    services.close()


@cli.command("media-pending")
@click.option("--include-failed", is_flag=True, help="Also retry downloads that failed.")
def media_pending(include_failed: bool) -> None:
    """Download report attachments recorded while the queue was down (or whose queued job was lost)."""
    from bot.line.media import run_pending

    services = _services()
    counts = run_pending(services, include_failed=include_failed)
    click.echo(", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "nothing pending")
    services.close()


for command in (market, relief, broadcast):  # live data and broadcasts have their own modules
    cli.add_command(command)



@cli.command("export")
@click.argument("organization")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "geojson"]), default="csv", show_default=True)
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None,
              help="File to write; the export's own name (org, kind, date) in this directory when not given.")
@click.option("--status", default=None)
@click.option("--category", default=None)
@click.option("--market", default=None, help="A gazetteer place id of the organization.")
@click.option("--from", "date_from", default=None, help="First day (YYYY-MM-DD, UTC).")
@click.option("--to", "date_to", default=None, help="Last day (YYYY-MM-DD, UTC).")
@click.option("--full", is_flag=True, help="Include reporters' details (needs --reason).")
@click.option("--reason", default=None, help="Why the reporters' details are needed (audited).")
def export(organization, fmt, out, status, category, market, date_from, date_to, full, reason) -> None:
    """Export ORGANIZATION's reports, anonymised unless --full; every export is audited."""
    from bot.desk.exports import ExportError, FilterError, ReportFilters, export_reports

    services = _services()
    try:
        if organization not in services.catalog.organizations:
            raise click.ClickException(f"unknown organization {organization!r}")
        filters = ReportFilters.parse({"status": status, "category": category, "market": market,
                                       "from": date_from, "to": date_to}, services.catalog, organization)
        made = export_reports(services, organization, fmt, filters, anonymised=not full, reason=reason, via="cli")
        path = out or made.filename
        with open(path, "wb") as handle:
            for chunk in made.chunks:
                handle.write(chunk)
        omitted = f" ({made.omitted} without a place left out)" if made.omitted else ""
        click.echo(f"{made.rows} reports written to {path}{omitted}")
    except (ExportError, FilterError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        services.close()


if __name__ == "__main__":
    cli()
