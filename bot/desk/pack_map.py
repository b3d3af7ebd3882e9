"""The evidence pack's map of places: where the filter's reports are, as an SVG scatter drawn by pygal
(XY chart, no lines) over a simple projection of longitude and latitude (x = longitude x cos(mean
latitude), so a city's shape is not stretched). No map tiles: the brief is made offline and fetches nothing.

A report is at its gazetteer place's point (a market or area of the organization's places.yaml); a
WhatsApp pin that matched no place is counted in a cell of 0.01 degrees (about 1 km) around it, never at
the pin itself. Like every figure that leaves the organization (bot/desk/suppression.py), a point stands
for at least K reports and never shows a count the pack's table of places hides: those are left off the
map and counted in `left_off`. Its dot grows with
the count. Nothing here imports Flask."""
from __future__ import annotations

import base64
import math
from dataclasses import dataclass, field

from sqlalchemy import Numeric, cast, func, select

from bot.models import Report

CELL = 2  # decimals of a degree an unplaced pin is rounded to


@dataclass(frozen=True)
class Point:
    lat: float
    lon: float
    count: int
    place_id: str | None  # None: a cell of unplaced pins


@dataclass
class PlaceMap:
    points: list[Point] = field(default_factory=list)
    left_off: int = 0  # reports at points under K (not drawn)
    without_point: int = 0  # reports with no place point and no pin

    def svg(self, pygal) -> str | None:
        """The map as a data: URI (None when there is nothing to draw); dot n is the n-th of `points`."""
        if not self.points:
            return None
        from pygal.style import CleanStyle

        mean = sum(p.lat for p in self.points) / len(self.points)
        scale = math.cos(math.radians(mean))
        biggest = max(p.count for p in self.points)
        xs, ys = [p.lon * scale for p in self.points], [p.lat for p in self.points]
        # a margin around the points (a fifth of the spread, at least ~1 km) so no dot or name is cut off,
        # and the plot's shape follows the places' spread (north-south against east-west)
        pad = max(max(xs) - min(xs), max(ys) - min(ys), 0.05) * 0.2
        xrange, yrange = (min(xs) - pad, max(xs) + pad * 2), (min(ys) - pad, max(ys) + pad)
        height = int(min(600, max(300, 800 * (yrange[1] - yrange[0]) / (xrange[1] - xrange[0]))))
        style = CleanStyle(font_family="DejaVu Sans, sans-serif", background="white", plot_background="#f4f6f8",
                           colors=("#b3261e",), value_font_size=22, value_label_font_size=22)
        chart = pygal.XY(style=style, width=800, height=height, stroke=False, show_legend=False, show_x_labels=False,
                         show_y_labels=False, show_x_guides=False, show_y_guides=False, print_labels=True,
                         print_values=False, disable_xml_declaration=True, margin=20, xrange=xrange, range=yrange)
        # Numbered, not named: close markets' names would overlap; the table under the map names them.
        chart.add("", [{"value": (p.lon * scale, p.lat), "label": str(n),
                        "node": {"r": 4 + 14 * math.sqrt(p.count / biggest)}} for n, p in enumerate(self.points, 1)])
        body = chart.render(is_unicode=True)
        return "data:image/svg+xml;base64," + base64.b64encode(body.encode()).decode()


def build(services, org: str, where: list, k: int, hidden: frozenset[str] = frozenset()) -> PlaceMap:
    """The points of the reports matching `where` (bot/desk/filters.py clauses), each of at least k.
    `hidden`: places whose count the pack's table hides (shown as "≥K" so a small one beside it cannot be
    worked out): left off the map too, or the map would give that count away."""
    places = {p.id: p for p in services.catalog.places(org)}
    with services.db() as session:
        by_place = session.execute(select(Report.place_id, func.count()).where(*where, Report.place_id.is_not(None))
                                   .group_by(Report.place_id)).all()
        # numeric: PostgreSQL rounds to decimals only numerics, not double precision
        lat = func.round(cast(Report.latitude, Numeric), CELL)
        lon = func.round(cast(Report.longitude, Numeric), CELL)
        cells = session.execute(select(lat, lon, func.count()).where(
            *where, Report.place_id.is_(None), Report.latitude.is_not(None), Report.longitude.is_not(None))
            .group_by(lat, lon)).all()
        nowhere = session.scalar(select(func.count()).select_from(Report).where(
            *where, Report.place_id.is_(None), Report.latitude.is_(None))) or 0
    out = PlaceMap(without_point=nowhere)
    candidates = []
    for place_id, n in by_place:
        place = places.get(place_id)
        if place is None or place.lat is None or place.lon is None:
            out.without_point += n
        else:
            candidates.append(Point(place.lat, place.lon, n, place_id))
    candidates += [Point(float(a), float(b), n, None) for a, b, n in cells]
    for point in sorted(candidates, key=lambda p: (-p.count, p.place_id or "", p.lat, p.lon)):
        if point.count >= k and point.place_id not in hidden:
            out.points.append(point)
        else:
            out.left_off += point.count
    return out
