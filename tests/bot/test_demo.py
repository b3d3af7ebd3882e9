"""The demo history (bot/desk/demo.py) on PostgreSQL: `demo load` fills the pages with twelve weeks of a demo
organization's life made through the real services, `demo clear` removes exactly that and nothing else,
and neither runs in production or for a real organization."""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.desk import demo
from bot.models import (Broadcast, BroadcastRecipient, Contact, Handover, Member, MarketStatus, Report,
                        ReportCluster, ReportEvent, ReportMedia, utcnow)
from bot.line.reports import STATUSES, create_report
from bot.desk.accounts import create_user
from tests.dashboard.conftest import PASSWORD, signed_in_as

ORG = "nairobi-vendors"


def _figure(html: str, name: str) -> int:
    return int(re.search(rf'data-figure="{name}">([\d,]+)<', html).group(1).replace(",", ""))


def test_load_fills_the_pages_and_clear_removes_exactly_it(services, app):
    admin = create_user(services, ORG, "admin@nairobi-vendors.example.org", "Admin", PASSWORD, "admin")
    # A real worker's report and the other organization's data must survive the clear.
    real = create_report(services, ORG, contact_id=None, channel="sms", language="en", category="eviction",
                         description="real", place={"place_id": "nbo.toi"}, occurred_on=None, occurred_text=None,
                         anonymous=True)
    started = time.monotonic()
    made = demo.load(services, ORG)
    seconds = time.monotonic() - started
    print(f"demo load {ORG}: {seconds:.1f} s {made}")

    with services.db() as session:
        reports = session.scalars(select(Report).where(Report.organization == ORG, Report.id != real.id)).all()
        members = session.scalars(select(Member).where(Member.organization == ORG)).all()
        assert len(members) >= 200 and len({m.trade for m in members}) >= 3
        assert len({m.place_id for m in members}) >= 5 and {m.language for m in members} == {"en", "sw"}
        assert len(reports) >= 300 and {r.status for r in reports} == set(STATUSES)
        assert {r.channel for r in reports} == {"sms", "whatsapp"} and any(r.anonymous for r in reports)
        oldest = min(r.created_at for r in reports)
        assert timedelta(weeks=10) < utcnow() - oldest <= timedelta(weeks=12, days=1)
        assert any(r.created_at > utcnow() - timedelta(hours=24) for r in reports)
        assert session.scalar(select(func.max(ReportCluster.count)).where(ReportCluster.organization == ORG)) >= 3
        assert session.scalar(select(func.count()).select_from(ReportMedia)
                              .where(ReportMedia.status == "stored")) > 10
        assert {s.status for s in session.scalars(select(MarketStatus))} >= {"closed"}
        broadcast = session.scalars(select(Broadcast)).one()
        assert broadcast.state == "done"
        states = set(session.scalars(select(BroadcastRecipient.state)
                                     .where(BroadcastRecipient.broadcast_id == broadcast.id)))
        assert "delivered" in states and states & {"failed", "undelivered"}
        assert session.scalar(select(func.count()).select_from(Handover).where(Handover.ended_at.is_(None))) == 1

    page = signed_in_as(app, admin)
    today = page.get("/").get_data(as_text=True)
    assert _figure(today, "reports_today") > 0 and _figure(today, "members") >= 200
    assert _figure(today, "handovers") == 1
    listing = page.get("/reports").get_data(as_text=True)
    assert int(re.search(r'data-total="(\d+)"', listing).group(1)) == len(reports) + 1
    assert listing.count('class="report-row"') >= 20 and re.search(r'class="media" data-count="[1-9]', listing)
    points = page.get("/reports/map.json").get_json()
    assert points["shown"] > 100
    data = page.get("/data").get_data(as_text=True)
    assert _figure(data, "reports") >= 300

    with pytest.raises(demo.DemoError, match="already loaded"):
        demo.load(services, ORG)

    gone = demo.clear(services, ORG)
    assert gone["reports"] == len(reports) and gone["members"] == len(members)
    with services.db() as session:
        assert [r.id for r in session.scalars(select(Report))] == [real.id]
        assert session.scalar(select(func.count()).select_from(ReportEvent)) == 1  # the real report's "new"
        for model in (Member, Broadcast, MarketStatus, Handover, ReportMedia):
            assert session.scalar(select(func.count()).select_from(model)) == 0, model
        assert session.scalar(select(func.count()).select_from(Contact)) == 0
        assert session.get(ReportCluster, real.cluster_id) is not None
    assert demo.registered(services, ORG) == {}
    assert seconds < 60, f"demo load took {seconds:.1f} s"


def test_refused_in_production_and_for_real_organizations(services, make_settings):
    from bot.services import build_services

    production = build_services(make_settings(env="production"))
    try:
        with pytest.raises(demo.DemoError, match="never in production"):
            demo.load(production, ORG)
        with pytest.raises(demo.DemoError, match="never in production"):
            demo.clear(production, ORG)
    finally:
        production.close()
    with pytest.raises(demo.DemoError, match="unknown organization"):
        demo.load(services, "nowhere")
    real = services.catalog.organizations[ORG]
    object.__setattr__(real, "demo", False)  # as a real organization's content says
    try:
        with pytest.raises(demo.DemoError, match="not a demo organization"):
            demo.load(services, ORG)
    finally:
        object.__setattr__(real, "demo", True)
    with services.db() as session:
        assert session.scalar(select(func.count()).select_from(Report)) == 0
