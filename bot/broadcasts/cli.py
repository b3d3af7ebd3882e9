"""`python -m bot.cli broadcast ...`: create, preview, send, status (live progress bar), pause, resume,
cancel, reconcile, worker."""
from __future__ import annotations

import json
import sys
import time

import click

from bot.services import for_command


def _fail(exc: Exception):
    raise click.ClickException(str(exc)) from exc


def _print_preview(p: dict) -> None:
    click.echo(f"recipients: {p['recipients']}  (" + ", ".join(f"{k} {v}" for k, v in p["by_channel"].items()) + ")")
    for g in p["groups"]:
        cost = f"{g['segments_each']} segment(s) each, {g['segments_total']} in all" if g["segments_each"] else "1 message each"
        click.echo(f"  {g['channel']:8} {g['language']:3} {g['mode']:8} {g['recipients']:7}  {cost}")
    for reason, n in p["skipped"].items():
        click.echo(f"  skipped: {reason}: {n}")
    for lang, t in p["texts"].items():
        click.echo(f"  text {lang}: {t['characters']} characters, {t['encoding']}, {t['segments']} SMS segment(s)")
    click.echo(f"SMS segments in all: {p['sms_segments']}")


@click.group()
def broadcast() -> None:
    """Broadcasts to a segment of an organization's contacts."""


@broadcast.command("create")
@click.option("--org", "organization", required=True, help="organization slug, e.g. nairobi-vendors")
@click.option("--text", "texts", multiple=True, required=True, metavar="LANG=TEXT",
              help="text per language (repeat): --text en='...' --text sw='...'")
@click.option("--market", "markets", multiple=True, help="market place id or name (repeat)")
@click.option("--city", "cities", multiple=True)
@click.option("--trade", "trades", multiple=True)
@click.option("--language", "languages", multiple=True, help="only recipients who get this language")
@click.option("--channel", "channels", multiple=True, type=click.Choice(["sms", "whatsapp"]))
@click.option("--registered/--unregistered", default=None, help="members only / non-members only")
@click.option("--template", "content_sid", default=None, help="WhatsApp template ContentSid (HX...)")
@click.option("--var", "variables", multiple=True, metavar="N=VALUE", help="template variable (repeat)")
@click.option("--name", default="")
@click.option("--rate", type=float, default=None, help="per second per sender (default BROADCAST_RATE)")
@click.option("--rate-unit", type=click.Choice(["segments", "messages"]), default=None)
@click.option("--by", "created_by", default="cli")
@click.option("--send", "send_now", is_flag=True, help="start sending right away")
def create(organization, texts, markets, cities, trades, languages, channels, registered, content_sid,
           variables, name, rate, rate_unit, created_by, send_now):
    """Create a broadcast (a draft unless --send) and print its preview."""
    from bot import broadcasts
    def pairs(items, what):
        out = {}
        for item in items:
            key, sep, value = item.partition("=")
            if not sep:
                raise click.BadParameter(f"{what} must look like KEY=VALUE, got {item!r}")
            out[key.strip()] = value
        return out

    segment = {"markets": list(markets), "cities": list(cities), "trades": list(trades),
               "languages": list(languages), "registered": registered}
    if channels:
        segment["channels"] = list(channels)
    template = {"content_sid": content_sid, "variables": pairs(variables, "--var")} if content_sid else None
    services = for_command()
    try:
        bid = broadcasts.create_broadcast(services, organization, segment, pairs(texts, "--text"), template,
                                          created_by=created_by, name=name, rate=rate, rate_unit=rate_unit)
        click.echo(f"broadcast {bid} created")
        _print_preview(broadcasts.preview(services, bid))
        if send_now:
            sent = broadcasts.send_broadcast(services, bid)
            click.echo(f"sending to {sent['recipients']} recipient rows: python -m bot.cli broadcast status {bid} --watch")
    except (broadcasts.BroadcastError, broadcasts.NotFound) as exc:
        _fail(exc)


@broadcast.command("preview")
@click.argument("broadcast_id", type=int)
def preview_cmd(broadcast_id):
    """Recipients per channel and language, and the cost in SMS segments."""
    from bot import broadcasts
    services = for_command()
    try:
        _print_preview(broadcasts.preview(services, broadcast_id))
    except (broadcasts.BroadcastError, broadcasts.NotFound) as exc:
        _fail(exc)


def _action(name: str, broadcast_id: int, **kw) -> None:
    from bot import broadcasts
    services = for_command()
    try:
        result = getattr(broadcasts, name)(services, broadcast_id, **kw)
        p = broadcasts.progress(services, broadcast_id)
        extra = f" ({result['recipients']} recipient rows)" if isinstance(result, dict) and "recipients" in result else ""
        click.echo(f"broadcast {broadcast_id}: {p['state']}{extra}")
    except (broadcasts.BroadcastError, broadcasts.NotFound) as exc:
        _fail(exc)


@broadcast.command("send")
@click.argument("broadcast_id", type=int)
@click.option("--inline", is_flag=True, help="send from this process instead of the RQ workers")
def send_cmd(broadcast_id, inline):
    """Start sending (recipient rows are fixed now; workers on the broadcasts queue do the sending)."""
    _action("send_broadcast", broadcast_id, inline=inline)


@broadcast.command("pause")
@click.argument("broadcast_id", type=int)
def pause_cmd(broadcast_id):
    _action("pause", broadcast_id)


@broadcast.command("resume")
@click.argument("broadcast_id", type=int)
def resume_cmd(broadcast_id):
    _action("resume", broadcast_id)


@broadcast.command("cancel")
@click.argument("broadcast_id", type=int)
def cancel_cmd(broadcast_id):
    _action("cancel", broadcast_id)


@broadcast.command("reconcile")
@click.argument("broadcast_id", type=int)
@click.option("--force", is_flag=True, help="also rows whose worker still looks alive")
def reconcile_cmd(broadcast_id, force):
    """Settle recipients left in doubt against the provider's message list, then wake the workers."""
    from bot import broadcasts
    from bot.broadcasts.service import wake

    services = for_command()
    click.echo(json.dumps(broadcasts.reconcile(services, broadcast_id, force=force)))
    if broadcasts.progress(services, broadcast_id)["state"] == "sending" and services.redis is not None:
        wake(services, broadcast_id)


def _bar(p: dict, width: int = 30) -> str:
    c = p["counts"]
    total = p["total"] or 1
    filled = int(width * p["done"] / total)
    return (f"[{'#' * filled}{'.' * (width - filled)}] {p['percent']:5.1f}%  {p['state']:9} "
            f"queued {c['queued']} sending {c['sending']} sent {c['sent']} delivered {c['delivered']} "
            f"read {c['read']} failed {c['failed']} skipped {c['skipped']} cancelled {c['cancelled']}")


@broadcast.command("status")
@click.argument("broadcast_id", type=int)
@click.option("--watch", is_flag=True, help="a live progress bar until the broadcast ends")
@click.option("--interval", type=float, default=1.0)
@click.option("--json", "as_json", is_flag=True)
def status_cmd(broadcast_id, watch, interval, as_json):
    """Progress: queued, sent, delivered, failed, skipped, with reasons."""
    from bot import broadcasts
    services = for_command()
    try:
        while True:
            p = broadcasts.progress(services, broadcast_id)
            if as_json:
                click.echo(json.dumps(p))
            elif watch and sys.stdout.isatty():
                click.echo("\r" + _bar(p), nl=False)
            else:
                click.echo(_bar(p))
            if not watch or p["state"] in ("done", "cancelled", "draft", "paused"):
                break
            time.sleep(interval)
        if watch and sys.stdout.isatty() and not as_json:
            click.echo()
        if not as_json and p["reasons"]:
            for reason, n in sorted(p["reasons"].items()):
                click.echo(f"  {reason}: {n}")
    except broadcasts.NotFound as exc:
        _fail(exc)


@broadcast.command("list")
@click.option("--org", "organization", required=True)
def list_cmd(organization):
    from bot import broadcasts
    services = for_command()
    for b in broadcasts.list_broadcasts(services, organization):
        click.echo(f"{b['id']:6} {b['state']:10} {b['created_at'][:19]} {b['name']}")


@broadcast.command("worker")
@click.option("--burst", is_flag=True, help="stop when the queue is empty")
def worker_cmd(burst):
    """An RQ worker for the broadcasts queue: services built once at start and handed to every job (no
    fork per job: connections and clients are reused)."""
    from bot.broadcasts.worker import run

    run(burst=burst)
