"""Incident reports as a worker's form creates them: places as workers write them (dates: nlu/dates.py), references,
clusters, and what a reporter may read back. Status changes by organizers (and the message that tells
the reporter) are in bot/desk/report_status.py, the API's listing in bot/desk/report_list.py.

Everything here takes `services` explicitly; nothing imports Flask.
"""
from __future__ import annotations

import math
import re
import secrets
from datetime import date, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from bot.models import Member, Report, ReportCluster, ReportEvent, ReportMedia, utcnow

# The categories, their order and labels: content/choices.yaml report_category (catalog.categories()).
# nlu/entities.py incident_type -> category
INCIDENT_CATEGORY = {
    "eviction": "eviction", "confiscation": "confiscation", "harassment": "harassment", "arrest": "harassment",
    "bribe": "bribe", "demolition": "closure", "fire": "fire_flood", "flood": "fire_flood",
    "waste_not_collected": "waste", "dumpsite_blocked": "waste", "unpaid_recyclables": "unpaid",
    "injury": "injury", "theft": "other",
}
STATUSES = ("new", "verified", "in_progress", "resolved", "rejected")
REFERENCE = re.compile(r"^\s*R\s*-?\s*(\d{3,6})\s*$", re.IGNORECASE)
# A WhatsApp pin this close to a gazetteer place is that place.
NEAR_KM = 1.5


# --------------------------------------------------------------------------- places (matched by nlu/places.py)


def _fold(text_: str) -> str:
    from nlu.entities import normalize

    return normalize(text_)


def nearest_place(catalog, org: str, lat: float, lon: float, within_km: float = NEAR_KM) -> str | None:
    best, best_km = None, within_km
    for place in catalog.places(org):
        if place.lat is None or place.lon is None:
            continue
        km = _km(lat, lon, place.lat, place.lon)
        if km <= best_km:
            best, best_km = place.id, km
    return best


def _km(lat1, lon1, lat2, lon2) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 6371 * 2 * math.asin(math.sqrt(a))


def resolve_place(catalog, org: str, answer: dict | None, picked: str | None = None) -> dict:
    """A location answer (typed text, WhatsApp pin or NLU prefill) -> place_id/place_text/lat/lon/address."""
    from bot.line.answers.places import resolve_typed  # here: bot.line.answers imports the flows, which import this

    answer = answer or {}
    out = {"place_id": None, "place_text": None, "latitude": None, "longitude": None, "address": None}
    if answer.get("lat") is not None:
        out.update(latitude=answer["lat"], longitude=answer["lon"],
                   address=answer.get("address") or answer.get("label"))
        out["place_id"] = nearest_place(catalog, org, answer["lat"], answer["lon"])
        out["place_text"] = answer.get("label") or answer.get("address")
        return out
    typed = (answer.get("text") or "").strip()[:200] or None
    if isinstance(picked, dict):  # a name typed at the list of suggestions: matched again, else as typed
        typed = (picked.get("text") or "").strip()[:200] or typed
        out["place_text"] = typed
        out["place_id"] = resolve_typed(catalog, org, typed).place_id if typed else None
        return out
    out["place_text"] = typed
    if picked and picked != "typed":
        out["place_id"] = picked
    elif answer.get("place_id"):
        out["place_id"] = answer["place_id"]
    elif typed and picked is None:
        out["place_id"] = resolve_typed(catalog, org, typed).place_id
    return out


def place_name(catalog, place_id: str | None, lang: str = "en") -> str | None:
    if not place_id:
        return None
    try:
        return catalog.place(place_id).name(lang)
    except KeyError:
        return place_id


# --------------------------------------------------------------------------- settings


def cluster_window(settings) -> timedelta:
    return timedelta(hours=float(settings.report_cluster_hours))


# --------------------------------------------------------------------------- creating


def _place_key(fields: dict) -> str | None:
    if fields.get("place_id"):
        return fields["place_id"]
    if fields.get("place_text"):
        return "text:" + _fold(fields["place_text"])[:190]
    if fields.get("latitude") is not None:
        return f"geo:{fields['latitude']:.2f},{fields['longitude']:.2f}"
    return None


def _new_reference(session, org: str) -> str:
    for digits in (4, 4, 4, 5, 5, 6, 6):
        ref = f"R-{secrets.randbelow(9 * 10 ** (digits - 1)) + 10 ** (digits - 1)}"
        taken = session.scalar(select(Report.id).where(Report.organization == org, Report.reference == ref))
        if taken is None:
            return ref
    raise RuntimeError("no free report reference")


def create_report(services, org: str, *, contact_id: int | None, channel: str, language: str, category: str,
                  description: str | None, place: dict, occurred_on: date | None, occurred_text: str | None,
                  anonymous: bool, media: list[dict] | None = None, now: datetime | None = None,
                  quote_consent: bool = False) -> Report:
    """Store a report, link it to its cluster, record its media; then queue the media downloads.
    `now` backdates it (the demo history in bot/desk/demo.py); clustering uses it too."""
    now = now or utcnow()
    for attempt in range(3):
        try:
            with services.db.begin() as session:
                member_id = None
                if contact_id is not None:
                    member_id = session.scalar(select(Member.id).where(Member.organization == org,
                                                                        Member.contact_id == contact_id))
                report = Report(organization=org, reference=_new_reference(session, org), contact_id=contact_id,
                                member_id=member_id, anonymous=anonymous, quote_consent=quote_consent, channel=channel, language=language,
                                category=category, description=description, occurred_on=occurred_on,
                                occurred_text=(occurred_text or None) and occurred_text[:100], status="new",
                                created_at=now, updated_at=now, **place)
                report.cluster_id = _cluster(session, services, org, category, place, now)
                session.add(report)
                session.flush()
                session.add(ReportEvent(report_id=report.id, from_status=None, to_status="new", actor="reporter",
                                        created_at=now))
                media_ids = []
                for item in media or []:
                    row = ReportMedia(report_id=report.id, url=item["url"], content_type=item.get("content_type"),
                                      status="pending", attempts=0, created_at=now, updated_at=now)
                    session.add(row)
                    session.flush()
                    media_ids.append(row.id)
            break
        except IntegrityError:  # two reports drew the same reference at once
            if attempt == 2:
                raise
    if media_ids:
        from bot.line.media import enqueue_downloads

        enqueue_downloads(services, media_ids)
    return report


def _cluster(session, services, org: str, category: str, place: dict, now: datetime) -> int | None:
    key = _place_key(place)
    if key is None:
        return None
    if session.get_bind().dialect.name == "postgresql":  # one cluster per key even when reports arrive together
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"{org}|{category}|{key}"})
    since = now - cluster_window(services.settings)
    cluster = session.scalars(
        select(ReportCluster)
        .where(ReportCluster.organization == org, ReportCluster.category == category,
               ReportCluster.place_key == key, ReportCluster.last_at >= since)
        .order_by(ReportCluster.last_at.desc())
        .limit(1)
        .with_for_update()
    ).first()
    if cluster is None:
        cluster = ReportCluster(organization=org, category=category, place_key=key, place_id=place.get("place_id"),
                                place_text=place.get("place_text"), count=1, first_at=now, last_at=now)
        session.add(cluster)
    else:
        cluster.count += 1
        cluster.last_at = now
    session.flush()
    return cluster.id


# --------------------------------------------------------------------------- reading


def normalise_reference(typed: str) -> str | None:
    m = REFERENCE.match(typed or "")
    return f"R-{m.group(1)}" if m else None


def find_for_contact(services, org: str, contact_id: int | None, typed: str) -> Report | None:
    """A reporter may hear the status of their own reports only."""
    ref = normalise_reference(typed)
    if ref is None or contact_id is None:
        return None
    with services.db() as session:
        return session.scalars(select(Report).where(Report.organization == org, Report.reference == ref,
                                                    Report.contact_id == contact_id)).first()


def latest_note(services, report_id: int) -> str | None:
    with services.db() as session:
        return session.scalar(select(ReportEvent.note).where(ReportEvent.report_id == report_id,
                                                             ReportEvent.note.is_not(None))
                              .order_by(ReportEvent.id.desc()).limit(1))


def truncate(catalog, variable: str, lang: str, value: str) -> str:
    limit = catalog.max_length(variable, lang)
    if limit is not None and len(value) > limit:
        return value[: max(limit - 1, 1)].rstrip() + "…" if lang == "hi" else value[: max(limit - 3, 1)].rstrip() + "..."
    return value
