"""The reports map: the organization's places as shapes (outline, else a circle) and its reports as
points (their own pin, else their place nudged a little). No phone numbers, names or member numbers."""
from __future__ import annotations

import hashlib
import math
from dataclasses import replace

from sqlalchemy import func, select

from bot.desk.filters import ReportFilters, inbox_clauses
from bot.desk.report_labels import category_label, status_label
from bot.line.answers import dates
from bot.models import Report

MAP_LIMIT = 2000
# Circle drawn around a place without an outline, and how far a report placed there may be nudged.
RADIUS_M = {"area": 1500}
DEFAULT_RADIUS_M = 300


def radius_m(place) -> int:
    return RADIUS_M.get(place.kind, DEFAULT_RADIUS_M)


def outlines(catalog, org: str, place_ids=None) -> list[dict]:
    """The org's gazetteer as map shapes: its outline polygon, else a circle around its point."""
    shapes = []
    for p in catalog.places(org):
        if place_ids is not None and p.id not in place_ids:
            continue
        shape = {"id": p.id, "name": p.name("en"), "kind": p.kind}
        if p.outline:
            shape["polygon"] = [[lat, lon] for lat, lon in p.outline]
        elif p.lat is not None and p.lon is not None:
            shape.update(center=[p.lat, p.lon], radius=radius_m(p))
        else:
            continue
        shapes.append(shape)
    return shapes


def _jitter(reference: str, lat: float, lon: float, max_m: float) -> tuple[float, float]:
    """A stable nudge (same reference, same spot) so reports at one place do not hide each other."""
    digest = hashlib.sha256(reference.encode()).digest()
    angle = int.from_bytes(digest[:4], "big") / 2 ** 32 * 2 * math.pi
    distance = (0.15 + 0.85 * math.sqrt(int.from_bytes(digest[4:8], "big") / 2 ** 32)) * max_m
    dlat = distance * math.cos(angle) / 111_320
    dlon = distance * math.sin(angle) / (111_320 * max(math.cos(math.radians(lat)), 0.01))
    return round(lat + dlat, 6), round(lon + dlon, 6)


def map_points(services, org: str, f: ReportFilters, limit: int = MAP_LIMIT) -> dict:
    """Reports as map points: their own coordinates, else their gazetteer place nudged a little. No phone
    numbers, names or member numbers at all; the newest `limit` reports."""
    catalog = services.catalog
    f = replace(f, page=1)
    places = {p.id: p for p in catalog.places(org)}
    where = inbox_clauses(services, org, f)
    with services.db() as session:
        total = session.scalar(select(func.count(Report.id)).where(*where)) or 0
        rows = session.execute(
            select(Report.reference, Report.category, Report.status, Report.place_id, Report.place_text,
                   Report.latitude, Report.longitude, Report.occurred_on, Report.created_at)
            .where(*where).order_by(Report.created_at.desc(), Report.id.desc()).limit(limit)).all()
    points, unplaced, tz = [], 0, dates.org_zone(catalog, org)
    for ref, category, status, place_id, place_text, lat, lon, occurred_on, created_at in rows:
        place = places.get(place_id) if place_id else None
        approximate = False
        if lat is None or lon is None:
            if place is None or place.lat is None or place.lon is None:
                unplaced += 1
                continue
            lat, lon = _jitter(ref, place.lat, place.lon, radius_m(place) * 0.6)
            approximate = True
        points.append({"reference": ref, "category": category, "category_label": category_label(category),
                       "status": status, "status_label": status_label(status),
                       "place": (place.name("en") if place else None) or place_text,
                       "lat": lat, "lon": lon, "approximate": approximate,
                       "date": (occurred_on or dates.local_day(created_at, tz)).isoformat()})
    return {"points": points, "total": total, "shown": len(points), "unplaced": unplaced,
            "truncated": total > len(rows)}
