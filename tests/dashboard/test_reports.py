"""The reports inbox and one report's page: filters, cluster summaries, pages, masking and anonymity,
status changes that tell the reporter, notes, media served only to the report's organization, and the
organization boundary (by reference, by URL, by file), CSRF and bad filter values."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.models import Contact, Member, OutboundMessage, Report, ReportEvent, ReportMedia, utcnow
from bot.desk.report_status import change_status
from bot.line.reports import create_report
from tests.dashboard.conftest import Browser

NAIROBI_ORG, PUNE_ORG = "nairobi-vendors", "pune-wastepickers"


@pytest.fixture
def settings(make_settings, tmp_path):
    """Attachments live under this test's own MEDIA_DIR."""
    return make_settings(media_dir=tmp_path / "media")


# --------------------------------------------------------------------------- making reports


def contact(services, org: str, number: str, *, member: str | None = None, opted_out: bool = False) -> int:
    now = utcnow()
    with services.db.begin() as session:
        found = session.scalars(select(Contact).where(Contact.organization == org, Contact.phone == number)).first()
        if found is None:
            found = Contact(organization=org, phone=number, language="en", opted_out=opted_out, created_at=now,
                            updated_at=now)
            session.add(found)
            session.flush()
        if member:
            seq = (session.scalar(select(Member.seq).where(Member.organization == org)
                                  .order_by(Member.seq.desc()).limit(1)) or 0) + 1
            session.add(Member(organization=org, contact_id=found.id, seq=seq, number=member, name="Mama Njeri",
                               trade="vendor", consent_version="v1", consented_at=now, created_at=now))
        return found.id


def make_report(services, *, org: str = "nairobi-vendors", number: str | None = "+254711000001",
                category: str = "confiscation", place_id: str | None = "nbo.gikomba", place_text: str | None = None,
                lat: float | None = None, lon: float | None = None, anonymous: bool = False,
                description: str = "Askari took our goods", occurred_on: date | None = None,
                channel: str = "sms", member: str | None = None, media: list[dict] | None = None):
    contact_id = contact(services, org, number, member=member) if number else None
    place = {"place_id": place_id, "place_text": place_text, "latitude": lat, "longitude": lon, "address": None}
    return create_report(services, org, contact_id=contact_id, channel=channel, language="en", category=category,
                         description=description, place=place, occurred_on=occurred_on, occurred_text=None,
                         anonymous=anonymous, media=media)


def refs(page_html: str) -> list[str]:
    return re.findall(r'<tr class="report-row" data-reference="(R-\d+)"', page_html)


def html(response) -> str:
    return response.get_data(as_text=True)


def stored_media(services, report, tmp_path, *, org: str = NAIROBI_ORG, data: bytes = b"\xff\xd8\xff photo",
                 content_type: str = "image/jpeg", path=None) -> int:
    """An attachment the download job has stored (or claims to have stored at `path`)."""
    now = utcnow()
    with services.db.begin() as session:
        row = ReportMedia(report_id=report.id, url="https://api.twilio.com/ME1", content_type=content_type,
                          status="stored", attempts=1, created_at=now, updated_at=now)
        session.add(row)
        session.flush()
        if path is None:
            folder = tmp_path / "media" / org / report.reference
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{row.id}.jpg"
            path.write_bytes(data)
        row.path, row.size = str(path), len(data)
        return row.id


# --------------------------------------------------------------------------- the inbox


def test_inbox_rows_show_masked_member_or_anonymous_reporters_of_this_org_only(services, signed_in):
    named = make_report(services, number="+254711000123", description="goods taken")
    member = make_report(services, number="+254711000456", member="NRB-00007", category="harassment")
    anonymous = make_report(services, number="+254711000789", anonymous=True, category="bribe")
    pune = make_report(services, org=PUNE_ORG, number="+919800000001", place_id="pune.mandai")
    page = html(signed_in.get("/reports"))
    assert set(refs(page)) == {named.reference, member.reference, anonymous.reference}
    assert pune.reference not in page or refs(page).count(pune.reference) == 0
    row = page.split(f'data-reference="{named.reference}"', 1)[1].split("</tr>", 1)[0]
    assert "+254 7•• ••• 123" in row and "Gikomba" in row and "confiscation" in row and 'badge new' in row
    assert "NRB-00007" in page.split(f'data-reference="{member.reference}"', 1)[1].split("</tr>", 1)[0]
    anon_row = page.split(f'data-reference="{anonymous.reference}"', 1)[1].split("</tr>", 1)[0]
    assert "anonymous" in anon_row and "789" not in anon_row
    for digits in ("711000123", "711000456", "711000789", "9800000001"):
        assert digits not in page  # never a whole number
    assert 'data-total="3"' in page


def test_filters_by_status_category_market_dates_and_text(services, signed_in):
    today = utcnow().date()
    a = make_report(services, description="Askari took my tomatoes", occurred_on=today - timedelta(days=10))
    b = make_report(services, category="eviction", place_id="nbo.muthurwa", description="Kanjo chased us")
    c = make_report(services, category="eviction", place_id=None, place_text="behind the bus stage")
    change_status(services, NAIROBI_ORG, b.reference, "verified", None, actor="x@example.org")

    def listed(query):
        response = signed_in.get("/reports?" + query)
        assert response.status_code == 200, (query, html(response))
        return set(refs(html(response)))

    assert listed("status=verified") == {b.reference}
    assert listed("category=eviction") == {b.reference, c.reference}
    assert listed("market=nbo.gikomba") == {a.reference}
    assert listed("market=none") == {c.reference}
    assert listed(f"from={(today - timedelta(days=2)).isoformat()}") == {b.reference, c.reference}
    assert listed(f"to={(today - timedelta(days=5)).isoformat()}") == {a.reference}
    assert listed("q=TOMATOES") == {a.reference}
    assert listed("q=bus+stage") == {c.reference}
    assert listed(f"q={b.reference.lower()}") == {b.reference}
    assert listed("q=100%25") == set()  # LIKE wildcards are literal
    assert listed("category=eviction&status=new") == {c.reference}
    # the filter form keeps what was chosen
    page = html(signed_in.get("/reports?category=eviction&market=nbo.muthurwa"))
    assert '<option value="eviction" selected>' in page and '<option value="nbo.muthurwa" selected>' in page


@pytest.mark.parametrize("query, words", [
    ("status=lost", "Unknown status"),
    ("category=robbery", "Unknown category"),
    ("market=pune.mandai", "not a market or area of your organization"),
    ("from=25/11/2026", "must be a date"),
    ("from=2026-03-10&to=2026-03-01", "after the end date"),
    ("to=1999-12-31", "between 2000-01-01"),  # the charts' rule, now the inbox's too
    ("page=0", "page"),
    ("page=abc", "page"),
    ("cluster=x1", "cluster"),
    ("q=" + "x" * 101, "at most 100"),
])
def test_bad_filter_values_are_a_400_page_that_says_why(signed_in, query, words):
    response = signed_in.get("/reports?" + query, headers={"Accept": "text/html"})
    assert response.status_code == 400
    page = html(response)
    assert 'id="filter-error"' in page and words in page
    assert 'id="report-filters"' in page  # the form is there to correct it


def test_cluster_summaries_on_top_link_to_the_filtered_list(services, signed_in, outsider):
    first = [make_report(services, number=f"+25471100000{i}") for i in range(3)]
    lone = make_report(services, category="fire_flood", place_id="nbo.toi")
    other = make_report(services, category="eviction", place_id="nbo.gikomba")
    page = html(signed_in.get("/reports"))
    cluster_id = first[0].cluster_id
    assert {r.cluster_id for r in first} == {cluster_id}
    summary = page.split('id="cluster-summaries"', 1)[1].split("</ul>", 1)[0]
    assert f'data-cluster-id="{cluster_id}"' in summary and f'href="/reports?cluster={cluster_id}"' in summary
    assert "<strong>3</strong> confiscations at Gikomba today" in summary
    assert "fire" not in summary and "eviction" not in summary  # single reports are no cluster
    filtered = html(signed_in.get(f"/reports?cluster={cluster_id}"))
    assert set(refs(filtered)) == {r.reference for r in first}
    assert 'id="current-cluster"' in filtered and "3 confiscations at Gikomba today" in filtered
    assert lone.reference not in filtered and other.reference not in filtered
    # a cluster filter narrows further filters; another organization's cluster does not exist here
    assert refs(html(signed_in.get(f"/reports?cluster={cluster_id}&status=verified"))) == []
    assert outsider.get(f"/reports?cluster={cluster_id}").status_code == 404
    assert outsider.get("/reports?cluster=999999").status_code == 404


def test_pages_of_25_newest_first(services, signed_in):
    made = [make_report(services, number=f"+2547110{i:05d}", description=f"report {i}") for i in range(27)]
    first = html(signed_in.get("/reports"))
    assert len(refs(first)) == 25 and refs(first)[0] == made[-1].reference
    assert 'rel="next" href="/reports?page=2"' in first and "Page 1 of 2" in first
    second = html(signed_in.get("/reports?page=2&category=confiscation"))
    assert refs(second) == [made[1].reference, made[0].reference]
    assert 'rel="prev" href="/reports?category=confiscation"' in second
    assert refs(html(signed_in.get("/reports?page=9"))) == []


def test_empty_inbox_says_so(signed_in):
    page = html(signed_in.get("/reports"))
    assert 'id="reports-empty"' in page and 'data-total="0"' in page


# --------------------------------------------------------------------------- one report


def test_detail_shows_the_report_history_and_only_allowed_next_statuses(services, signed_in):
    report = make_report(services, number="+254711000123", lat=-1.2841, lon=36.8392, description="They came at 6")
    change_status(services, NAIROBI_ORG, report.reference, "verified", "Seen by Wanjiru", actor="w@example.org")
    page = html(signed_in.get(f"/reports/{report.reference}"))
    assert f'data-reference="{report.reference}" data-status="verified"' in page
    assert "They came at 6" in page and "Gikomba" in page and "+254 7•• ••• 123" in page
    assert 'id="report-map" class="map small-map" data-lat="-1.2841" data-lon="36.8392"' in page
    assert "/static/vendor/leaflet/leaflet.js" in page
    options = re.findall(r'<option value="(\w+)"', page.split('id="status-form"', 1)[1].split("</form>", 1)[0])
    assert options == ["in_progress", "resolved", "rejected"]
    history = page.split('id="report-history"', 1)[1]
    assert "Seen by Wanjiru" in history and "w@example.org" in history and 'data-to-status="verified"' in history
    # references as workers type them find the report too
    assert signed_in.get(f"/reports/r{report.reference[2:]}").status_code == 200


def test_anonymous_reporter_is_never_identified_on_the_detail_page(services, signed_in):
    report = make_report(services, number="+254711000789", member="NRB-00009", anonymous=True)
    page = html(signed_in.get(f"/reports/{report.reference}"))
    facts = page.split('id="report-facts"', 1)[1].split("</dl>", 1)[0]
    assert "anonymous" in facts
    for leak in ("789", "NRB-00009", "Mama Njeri"):
        assert leak not in page


def test_status_change_tells_the_reporter_by_sms(services, signed_in, phone):
    worker = phone("+254711500001")
    worker.send("police took my goods at gikomba this morning")
    worker.send("1")
    worker.send("2")
    [report] = rows(services, Report)
    response = signed_in.post(f"/reports/{report.reference}/status",
                              {"status": "verified", "note": "We are on it", "from_status": "new"})
    assert response.status_code == 302 and response.headers["Location"] == f"/reports/{report.reference}"
    page = html(signed_in.get(f"/reports/{report.reference}"))
    assert "Marked verified with your note; the reporter was sent an SMS." in page
    [out] = rows(services, OutboundMessage, OutboundMessage.kind == "message", OutboundMessage.to_address == worker.number)
    assert report.reference in out.body and "We are on it" in out.body
    sent = services.sender.read(to=worker.number)
    assert sent and sent[-1]["body"] == out.body
    [_, event] = rows(services, ReportEvent)
    assert (event.from_status, event.to_status, event.actor, event.notification_id) == (
        "new", "verified", "organizer@nairobi-vendors.example.org", out.id)
    assert 'data-status="verified"' in page and 'data-notified="true"' in page


def test_status_change_for_an_opted_out_reporter_says_they_were_not_told(services, signed_in):
    report = make_report(services, number="+254711000321")
    with services.db.begin() as session:
        session.get(Contact, report.contact_id).opted_out = True
    response = signed_in.post(f"/reports/{report.reference}/status", {"status": "rejected"}, follow_redirects=True)
    assert "Marked rejected; the reporter has opted out of messages, so was not told." in html(response)
    assert rows(services, OutboundMessage) == []


def test_a_note_alone_changes_nothing_and_sends_nothing(services, signed_in):
    report = make_report(services)
    response = signed_in.post(f"/reports/{report.reference}/note", {"note": "  Called the ward office  "},
                              follow_redirects=True)
    assert response.status_code == 200
    assert "Note added." in html(response) and "Called the ward office" in html(response)
    [_, event] = rows(services, ReportEvent)
    assert (event.from_status, event.to_status, event.note) == ("new", "new", "Called the ward office")
    assert rows(services, OutboundMessage) == [] and services.sender.read() == []
    empty = signed_in.post(f"/reports/{report.reference}/note", {"note": "   "})
    assert empty.status_code == 400 and "Write a note first." in html(empty)
    long = signed_in.post(f"/reports/{report.reference}/note", {"note": "x" * 501})
    assert long.status_code == 400 and "Note longer than 500 characters." in html(long)
    assert len(rows(services, ReportEvent)) == 2


def test_a_transition_that_is_not_allowed_is_refused_with_a_message(services, signed_in):
    report = make_report(services)
    change_status(services, NAIROBI_ORG, report.reference, "resolved", None, actor="a@example.org")
    response = signed_in.post(f"/reports/{report.reference}/status", {"status": "verified", "note": "keep"})
    assert response.status_code == 409
    page = html(response)
    assert "A resolved report cannot be marked verified." in page and 'id="form-error"' in page
    assert 'id="status-final"' in page  # nothing more to choose
    bogus = signed_in.post(f"/reports/{report.reference}/status", {"status": "lost"})
    assert bogus.status_code == 400 and "Choose the new status." in html(bogus)
    assert [e.to_status for e in rows(services, ReportEvent)] == ["new", "resolved"]


def test_a_form_opened_before_someone_else_changed_the_report_is_refused(services, signed_in):
    report = make_report(services)
    change_status(services, NAIROBI_ORG, report.reference, "verified", None, actor="a@example.org")
    response = signed_in.post(f"/reports/{report.reference}/status", {"status": "resolved", "from_status": "new"})
    assert response.status_code == 409 and "while you had it open" in html(response)
    assert rows(services, Report)[0].status == "verified"


def test_status_change_without_the_csrf_token_is_refused(services, signed_in):
    report = make_report(services)
    response = signed_in.client.post(f"/reports/{report.reference}/status", data={"status": "verified"})
    assert response.status_code == 400
    note = signed_in.client.post(f"/reports/{report.reference}/note", data={"note": "hi", "csrf_token": "forged"})
    assert note.status_code == 400
    assert rows(services, Report)[0].status == "new" and len(rows(services, ReportEvent)) == 1


def test_unknown_reference_is_404(signed_in):
    for path in ("/reports/R-0000", "/reports/nonsense", "/reports/R-0000/media/1"):
        assert signed_in.get(path).status_code == 404, path


# --------------------------------------------------------------------------- media


def test_photos_and_voice_notes_are_served_to_the_reports_org_only(services, signed_in, outsider, tmp_path):
    report = make_report(services)
    photo = stored_media(services, report, tmp_path)
    voice = stored_media(services, report, tmp_path, data=b"OggS voice", content_type="audio/ogg")
    page = html(signed_in.get(f"/reports/{report.reference}"))
    assert f'<img src="/reports/{report.reference}/media/{photo}" data-media-id="{photo}"' in page
    assert f'<audio controls preload="none" src="/reports/{report.reference}/media/{voice}"' in page
    served = signed_in.get(f"/reports/{report.reference}/media/{photo}")
    assert served.status_code == 200 and served.data == b"\xff\xd8\xff photo"
    assert served.mimetype == "image/jpeg" and served.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in served.headers["Cache-Control"]
    served.close()
    # the same file asked through another organization's session, or through another report
    assert outsider.get(f"/reports/{report.reference}/media/{photo}").status_code == 404
    other = make_report(services, number="+254711000999")
    assert signed_in.get(f"/reports/{other.reference}/media/{photo}").status_code == 404
    # not signed in: to the sign-in page
    assert Browser(signed_in.client.application.test_client()).get(
        f"/reports/{report.reference}/media/{photo}").status_code == 302


def test_media_outside_the_orgs_media_dir_is_never_served(services, signed_in, tmp_path):
    report = make_report(services)
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not yours")
    (tmp_path / "media" / NAIROBI_ORG).mkdir(parents=True)
    traversal = stored_media(services, report, tmp_path,
                             path=tmp_path / "media" / NAIROBI_ORG / ".." / ".." / "secret.txt")
    absolute = stored_media(services, report, tmp_path, path=secret)
    pune_dir = tmp_path / "media" / PUNE_ORG / "R-1111"
    pune_dir.mkdir(parents=True)
    (pune_dir / "1.jpg").write_bytes(b"pune photo")
    elsewhere = stored_media(services, report, tmp_path, path=pune_dir / "1.jpg")
    link = tmp_path / "media" / NAIROBI_ORG / "link.jpg"
    link.symlink_to(secret)
    symlinked = stored_media(services, report, tmp_path, path=link)
    missing = stored_media(services, report, tmp_path, path=tmp_path / "media" / NAIROBI_ORG / "gone.jpg")
    for media_id in (traversal, absolute, elsewhere, symlinked, missing):
        response = signed_in.get(f"/reports/{report.reference}/media/{media_id}")
        assert response.status_code == 404, media_id
        assert b"not yours" not in response.data and b"pune photo" not in response.data
    for path in (f"/reports/{report.reference}/media/..%2F..%2Fsecret.txt",
                 f"/reports/{report.reference}/media/../../secret.txt"):
        assert b"not yours" not in signed_in.get(path).data


def test_media_still_downloading_is_listed_not_linked(services, signed_in):
    report = make_report(services, media=[{"url": "https://api.twilio.com/ME9", "content_type": "audio/ogg"}])
    [m] = rows(services, ReportMedia)
    page = html(signed_in.get(f"/reports/{report.reference}"))
    assert f'data-media-id="{m.id}" data-kind="audio"' in page and "still downloading" in page
    assert signed_in.get(f"/reports/{report.reference}/media/{m.id}").status_code == 404
    inbox = html(signed_in.get("/reports"))
    assert 'data-count="1"' in inbox.split(f'data-reference="{report.reference}"', 1)[1].split("</tr>", 1)[0]


# --------------------------------------------------------------------------- the organization boundary


def test_another_organization_gets_404_for_nairobis_report_everywhere(services, outsider):
    report = make_report(services, number="+254711000123")
    assert report.reference not in html(outsider.get("/reports"))
    assert outsider.get(f"/reports/{report.reference}").status_code == 404
    assert outsider.post(f"/reports/{report.reference}/status", {"status": "verified"}).status_code == 404
    assert outsider.post(f"/reports/{report.reference}/note", {"note": "mine now"}).status_code == 404
    assert outsider.get(f"/reports?q={report.reference}").status_code == 200
    assert refs(html(outsider.get(f"/reports?q={report.reference}"))) == []
    assert rows(services, Report)[0].status == "new" and len(rows(services, ReportEvent)) == 1


def rows(services, model, *where):
    with services.db() as session:
        return list(session.scalars(select(model).where(*where).order_by(model.id)))
