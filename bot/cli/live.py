"""Operator commands for live data (added to `python -m bot.cli`):

    market set ORG PLACE_ID STATUS [--from WHEN] [--until WHEN] [--reason TEXT] [--broadcast]
    market list ORG
    relief announce ORG --where TEXT|PLACE_ID --when WHEN --for TEXT [--until WHEN] [--programme ID] [--broadcast]
    relief list ORG

WHEN: ISO 8601 ("2026-11-30", "2026-11-30T18:00", local time of the org's city) or a day word
("today", "tomorrow", "friday", "30/11 18:00"). A day given as --until means the end of that day.
"""
from __future__ import annotations

import getpass
from datetime import datetime, timedelta

import click

from bot.line import live
from bot.line.answers import dates
from bot.services import for_command


def _who(by: str | None) -> str:
    if by:
        return by
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"


def parse_when(value: str | None, org, end: bool = False) -> datetime | None:
    if not value:
        return None
    tz = dates.zone(org)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        found = dates.find_whens(value, dates.local_today(org))
        if not found:
            raise click.BadParameter(f"not a date: {value!r}") from None
        return found[0].ends(tz) if end else found[0].starts(tz)
    if parsed.tzinfo is None:
        whole_day = len(value) <= 10  # "2026-11-30"
        parsed = parsed.replace(tzinfo=tz)
        if whole_day and end:
            parsed += timedelta(days=1)
    return parsed


def _org(services, slug: str):
    org = services.catalog.organizations.get(slug)
    if org is None:
        raise click.ClickException(f"unknown organization {slug!r}")
    return org


@click.group()
def market() -> None:
    """Market status (open, closed, relocated, restricted) of an organization's places."""


@market.command("set")
@click.argument("organization")
@click.argument("place_id")
@click.argument("status", type=click.Choice(live.MARKET_STATES))
@click.option("--from", "starts", help="when the status starts (default now)")
@click.option("--until", "ends", help="when it ends (default: until changed)")
@click.option("--reason", help="why (workers see the first 40 characters)")
@click.option("--by", help="who made the change (default cli:<user>)")
@click.option("--broadcast", is_flag=True, help="also tell the members (recorded as a pending broadcast)")
def market_set(organization, place_id, status, starts, ends, reason, by, broadcast) -> None:
    services = for_command()
    try:
        org = _org(services, organization)
        view, pending = live.set_market_status(
            services, organization, place_id, status, changed_by=_who(by), source="cli",
            starts_at=parse_when(starts, org), ends_at=parse_when(ends, org, end=True), reason=reason,
            broadcast=broadcast)
    except live.LiveError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{view.place_id} {view.status} from {view.starts_at.isoformat()}"
               f"{' until ' + view.ends_at.isoformat() if view.ends_at else ''} (#{view.id})"
               f"{f'; broadcast #{pending} pending' if pending else ''}")


@market.command("list")
@click.argument("organization")
def market_list(organization) -> None:
    services = for_command()
    _org(services, organization)
    now = live.current_statuses(services, organization)
    for place in services.catalog.places(organization):
        s = now.get(place.id)
        state = s.status if s else "-"
        detail = ""
        if s:
            detail = f"  until {s.ends_at.isoformat()}" if s.ends_at else ""
            detail += f"  reason: {s.reason}" if s.reason else ""
            detail += f"  by {s.changed_by} ({s.source}) at {s.created_at.isoformat()}"
        click.echo(f"{place.id:24} {place.kind:9} {state:11}{detail}")


@click.group()
def relief() -> None:
    """Relief distributions an organization announces."""


@relief.command("announce")
@click.argument("organization")
@click.option("--where", "where", required=True, help="a place id of the org, or words")
@click.option("--when", "when", required=True, help="when it starts")
@click.option("--until", "ends", help="when it ends")
@click.option("--for", "recipients", required=True, help="for whom")
@click.option("--programme", help="programme id (content programmes.yaml)")
@click.option("--by", help="who made the change (default cli:<user>)")
@click.option("--broadcast", is_flag=True, help="also tell the members (recorded as a pending broadcast)")
def relief_announce(organization, where, when, ends, recipients, programme, by, broadcast) -> None:
    services = for_command()
    try:
        org = _org(services, organization)
        place = live.org_place(services.catalog, organization, where)
        venue = place.name(org.default_language) if place else where
        view, pending = live.announce_relief(
            services, organization, venue=venue, place_id=place.id if place else None,
            starts_at=parse_when(when, org), ends_at=parse_when(ends, org, end=True), recipients=recipients,
            programme_id=programme, changed_by=_who(by), source="cli", broadcast=broadcast)
    except live.LiveError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"relief distribution #{view.id}: {view.venue}, {view.starts_at.isoformat()}, for {view.recipients}"
               f"{f'; broadcast #{pending} pending' if pending else ''}")


@relief.command("list")
@click.argument("organization")
def relief_list(organization) -> None:
    services = for_command()
    _org(services, organization)
    for d in live.upcoming_relief(services, organization):
        click.echo(f"#{d.id} {d.starts_at.isoformat()} {d.venue} for {d.recipients} "
                   f"(by {d.changed_by}, {d.source})")


__all__ = ["market", "relief", "parse_when"]
