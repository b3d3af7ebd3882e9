"""Kept evidence packs: a large range is made by a real RQ worker (SimpleWorker, burst) while the pack's
page polls its JSON status; the PDF is kept with its filter, downloaded again, made again; a small range
is made at once; another organization's pack is not found."""
from __future__ import annotations

import re
from datetime import timedelta

from rq import SimpleWorker

from bot.desk import evidence_packs
from bot.line.answers import dates
from bot.models import EvidencePack
from tests.authorities.test_evidence import _history
from tests.authorities.conftest import ORG


def _pack_id(response) -> int:
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(re.search(r"/evidence/packs/(\d+)$", response.headers["Location"]).group(1))


def _work(services) -> None:
    from bot import tasks

    tasks.use_services(services)
    try:
        SimpleWorker([services.queue], connection=services.redis).work(burst=True)
    finally:
        tasks.use_services(None)


def test_a_large_range_is_made_by_the_rq_worker_kept_and_made_again(services, organizer_browser, monkeypatch):
    _history(services, n=24)
    monkeypatch.setattr(evidence_packs, "INLINE_MAX", 1)  # a few reports count as a large range here
    today = dates.local_today(services.catalog.organizations[ORG])
    args = {"from": (today - timedelta(days=90)).isoformat(), "to": today.isoformat(), "category": "waste"}
    pack_id = _pack_id(organizer_browser.post("/evidence/packs", args))

    queued = organizer_browser.get(f"/evidence/packs/{pack_id}.json").get_json()
    assert (queued["state"], queued["progress"], queued["download"]) == ("queued", 0, None)
    page = organizer_browser.get(f"/evidence/packs/{pack_id}").get_data(as_text=True)
    assert f'data-status-url="/evidence/packs/{pack_id}.json"' in page and 'src="/static/js/evidence.js' in page
    assert "<script>" not in page  # the strict CSP: no inline script
    assert organizer_browser.get(f"/evidence/packs/{pack_id}.pdf").status_code == 404  # not ready

    _work(services)
    done = organizer_browser.get(f"/evidence/packs/{pack_id}.json").get_json()
    assert (done["state"], done["progress"], done["download"]) == ("done", 100, f"/evidence/packs/{pack_id}.pdf")
    pdf = organizer_browser.get(done["download"])
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF-") and len(pdf.data) == done["bytes"]
    with services.db() as session:
        row = session.get(EvidencePack, pack_id)
        assert row.filters == args and row.reports == done["reports"] and row.created_by.startswith("web:")
    listing = organizer_browser.get("/evidence/packs").get_data(as_text=True)
    assert f'<tr class="pack" data-pack="{pack_id}" data-state="done">' in listing

    again = _pack_id(organizer_browser.post(f"/evidence/packs/{pack_id}/again"))
    assert again != pack_id
    _work(services)
    with services.db() as session:
        assert session.get(EvidencePack, again).filters == args
    assert organizer_browser.get(f"/evidence/packs/{again}.json").get_json()["state"] == "done"


def test_a_small_range_is_made_at_once_and_other_organizations_packs_are_not_found(live, services,
                                                                                   organizer_browser):
    from bot.desk.accounts import create_user
    from tests.authorities.conftest import PASSWORD, Browser

    _history(services, n=5)
    pack_id = _pack_id(organizer_browser.post("/evidence/packs", {}))
    status = organizer_browser.get(f"/evidence/packs/{pack_id}.json").get_json()
    assert status["state"] == "done" and status["bytes"] > 5000
    assert organizer_browser.post("/evidence/packs", {"from": "2026-02-30"}).status_code == 400

    account = create_user(services, "dakar-vendors", "packs@dakar.example.org", "Awa", PASSWORD, "organizer")
    outsider = Browser(live[1].test_client())
    assert outsider.login(account.email).status_code == 302
    for path in (f"/evidence/packs/{pack_id}", f"/evidence/packs/{pack_id}.json", f"/evidence/packs/{pack_id}.pdf"):
        assert outsider.get(path).status_code == 404, path
    assert outsider.post(f"/evidence/packs/{pack_id}/again").status_code == 404
