"""Organizers' data from the command line: the demo history (`demo load|clear`) and report exports."""
from __future__ import annotations

import click

from bot.services import for_command


@click.group()
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
    services = for_command()
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


@demo.command("clear")
@click.argument("organizations", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every demo organization in content/.")
def demo_clear(organizations: tuple[str, ...], every: bool) -> None:
    """Remove exactly the rows demo loads made for each ORGANIZATION."""
    from bot.desk import demo as history
    services = for_command()
    try:
        for org in _demo_orgs(services, organizations, every):
            gone = history.clear(services, org)
            click.echo(f"{org}: demo history cleared: "
                       + (", ".join(f"{v} {k.replace('_', ' ')}" for k, v in gone.items() if v) or "nothing"))
    except history.DemoError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("export")
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
    from bot.desk.exports import ExportError, export_reports
    from bot.desk.filters import FilterError, ReportFilters

    services = for_command()
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
