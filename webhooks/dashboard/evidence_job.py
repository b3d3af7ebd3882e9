"""The RQ job that makes an evidence pack (bot/desk/evidence_packs.py) outside a request: the brief is the
pages' template in the organization's language, so the job builds the app around the worker's services
and renders inside an app context, as the organization (no organizer is signed in here). Enqueued by
its dotted path from webhooks/dashboard/evidence.py; bot/ never imports this module."""
from __future__ import annotations

from types import SimpleNamespace

JOB_TIMEOUT = 15 * 60  # seconds: 50,000 reports take about 4 s (bench/evidence.py); a busy worker more


def make(pack_id: int, services=None) -> dict | None:
    from flask import g

    from bot.desk import evidence_packs
    from bot.tasks import job_services
    from webhooks import create_app
    from webhooks.dashboard.evidence_render import render_pack, stylesheets

    with job_services(services) as built:
        row = evidence_packs.get(built, None, pack_id)
        if row is None:
            return None
        app = create_app(services=built)
        with app.test_request_context():
            g.account = SimpleNamespace(organization=row.organization, language=None, email=row.created_by,
                                        is_admin=False, id=None)
            done = evidence_packs.run(built, pack_id, render_pack, stylesheets())
        return evidence_packs.status(done) if done else None
