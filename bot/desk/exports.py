"""Reports as files for city officials and partners: CSV, XLSX and GeoJSON, filtered like the inbox.

Anonymised is the default and the only kind an organizer can make. An anonymised file holds, per
report: its reference, the day it was received, the day it happened, category, status, and the
gazetteer market/area (id, name, kind, city and the place's own point, never the worker's pin). It holds
no name, phone number, member number or contact id, no typed place text or street address, no channel
or language (which narrow a small market down to a person) and no description: the worker's own words
often name people, give numbers or say where a stall is, and no filter can make free text safe to hand
over. An organizer who needs a quote for advocacy picks it by hand from the inbox.

A full export (an admin, with a reason) adds the description, the typed place, the pin and address,
the channel and language, and the reporter's member number, name and phone number, except for reports
the worker sent as anonymous, whose reporter stays blank even here.

Days are the organization's local days (`timezone:` in its org.yaml): `received_on` is the local day
the report reached the line, and the from/to filters are local days.

An anonymised file also hides small groups (bot/desk/suppression.py, SUPPRESS_BELOW, default 5): a report
whose category, market and day (received or occurred) it shares with fewer than K reports in the file
would point at its reporter, so its place columns say "<K" and its point is left out; a GeoJSON leaves
such reports out and counts them. A full export hides nothing.

Every export, anonymised or not, is written to the audit log (action "export") before its first byte
is sent, with the format, filters, anonymised flag, row count (and the reason of a full one).
Rows are read in one REPEATABLE READ snapshot, so the audited count is the count in the file, and
streamed in batches: 50,000 reports never sit in memory as ORM objects.
Nothing here imports Flask.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import and_, func, or_, select, true

from bot.desk import suppression
from bot.desk.export_files import BATCH, csv_chunks, geojson_chunks, xlsx_chunks
from bot.desk.accounts import audit
from bot.line.answers import dates
from bot.models import Contact, Member, Report
from bot.desk.filters import ReportFilters

__all__ = ["FORMATS", "Export", "ExportError", "export_reports", "columns"]

FORMATS = ("csv", "xlsx", "geojson")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}
REASON_MIN, REASON_MAX = 5, 300

ANONYMISED = ("reference", "received_on", "occurred_on", "category", "status",
              "place_id", "place", "place_kind", "city", "latitude", "longitude")
FULL = ("reference", "received_at_utc", "updated_at_utc", "occurred_on", "occurred_text", "category", "status",
        "description", "place_id", "place", "place_kind", "city", "place_text", "address", "latitude",
        "longitude", "location_source", "channel", "language", "reporter_anonymous", "member_number",
        "member_name", "reporter_phone")


class ExportError(ValueError):
    """An export that cannot be made as asked; the message says why."""


def columns(anonymised: bool) -> tuple[str, ...]:
    return ANONYMISED if anonymised else FULL


@dataclass
class Export:
    """A file being made: the headers are known, `chunks` yields its bytes (iterate it once, or
    close it). `rows` is the number of reports in the file; `omitted` those left out of a GeoJSON
    because they have no place to put them at."""

    filename: str
    content_type: str
    format: str
    anonymised: bool
    rows: int
    omitted: int
    chunks: _Chunks
    suppressed: int = 0  # reports whose place is hidden (anonymised files): in a GeoJSON, also in `omitted`

    def read(self) -> bytes:
        return b"".join(self.chunks)


class _Chunks:
    """The bytes of an export, holding its database session until exhausted or closed (a WSGI
    server closes the response iterable even when the client goes away)."""

    def __init__(self, session, generator: Iterator[bytes]):
        self._session, self._generator = session, generator

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        try:
            return next(self._generator)
        except BaseException:
            self.close()
            raise

    def __del__(self):  # a file made and dropped unread still gives its connection back
        self.close()

    def close(self) -> None:
        try:
            self._generator.close()
        finally:
            if self._session is not None:
                self._session.close()
                self._session = None


def export_reports(services, org: str, fmt: str, filters: ReportFilters, *, anonymised: bool = True,
                   account=None, reason: str | None = None, via: str = "web",
                   now: datetime | None = None) -> Export:
    """An export of `org`'s reports. `account` (bot.desk.accounts.Account) is who asks: it must belong to
    `org`, and only an admin may ask for a full export; None is an operator on the command line.
    Raises ExportError (bad format, missing reason) or PermissionError."""
    if fmt not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}")
    if account is not None and account.organization != org:
        raise PermissionError("an account exports its own organization's reports only")
    if not anonymised:
        if account is not None and not account.is_admin:
            raise PermissionError("only an admin can export reports with the reporters' details")
        reason = " ".join((reason or "").split())
        if len(reason) < REASON_MIN:
            raise ExportError("say why the reporters' details are needed (who asked, for what)")
        if len(reason) > REASON_MAX:
            raise ExportError(f"keep the reason under {REASON_MAX} characters")
    else:
        reason = None
    now = now or datetime.now(timezone.utc)
    catalog = services.catalog
    tz = dates.org_zone(catalog, org)
    where = filters.clauses(org, tz)
    located = [p.id for p in catalog.places(org) if p.lat is not None and p.lon is not None]
    k = services.settings.suppress_below if anonymised else 1

    session = services.db()
    try:
        # The count and the rows from one snapshot, so the audit log's row count is the file's.
        postgres = session.get_bind().dialect.name == "postgresql"
        session.connection(execution_options={"isolation_level": "REPEATABLE READ" if postgres else "SERIALIZABLE"})
        total = session.scalar(select(func.count()).select_from(Report).where(*where)) or 0
        omitted = 0
        hidden_at = _hidden_per_place(session, where, tz, k)
        suppressed = sum(hidden_at.values())
        if fmt == "geojson":
            no_point = or_(Report.place_id.is_(None), Report.place_id.not_in(located)) if located else true()
            if not anonymised:
                no_point = and_(no_point, or_(Report.latitude.is_(None), Report.longitude.is_(None)))
            omitted = session.scalar(select(func.count()).select_from(Report).where(*where, no_point)) or 0
            # Hidden reports at a place with a point lose it: left out too (those without were counted).
            omitted += sum(n for place_id, n in hidden_at.items() if place_id in located)
    except BaseException:
        session.close()
        raise
    rows = total - omitted
    detail = {"format": fmt, "filters": filters.as_dict(), "anonymised": anonymised, "rows": rows, "via": via}
    if fmt == "geojson":
        detail["omitted_without_place"] = omitted
    if anonymised:
        detail["suppressed_below"], detail["suppressed"] = k, suppressed
    if reason:
        detail["reason"] = reason
    try:
        audit(services, org, account.id if account is not None else None, "export", f"reports.{fmt}", detail)
    except BaseException:
        session.close()
        raise

    records = _records(session, catalog, org, where, anonymised, tz, k)
    meta = {"organization": org, "generated_at": now.isoformat(timespec="seconds"), "anonymised": anonymised,
            "filters": filters.as_dict(), "reports": rows, "timezone": tz.key}
    if anonymised:
        meta["suppressed_below"], meta["suppressed"] = k, suppressed
    if fmt == "csv":
        generator = csv_chunks(records, columns(anonymised))
    elif fmt == "xlsx":
        generator = xlsx_chunks(records, columns(anonymised), meta, org_name(catalog, org))
    else:
        meta["omitted_without_place"] = omitted
        generator = geojson_chunks(records, columns(anonymised), meta)
    kind = "anonymised" if anonymised else "full"
    return Export(filename=f"{org}-reports-{kind}-{now.astimezone(tz):%Y-%m-%d}.{fmt}", content_type=CONTENT_TYPES[fmt],
                  format=fmt, anonymised=anonymised, rows=rows, omitted=omitted,
                  chunks=_Chunks(session, generator), suppressed=suppressed)


def org_name(catalog, org: str) -> str:
    found = catalog.organizations.get(org)
    return found.name if found else org


# --------------------------------------------------------------------------- rows


def _group_sizes(session, tz):
    """Window counts beside each report: how many reports of the same selection share its category,
    place and local day received, and its category, place and day occurred. PostgreSQL (or SQLite)
    counts them while streaming the rows, so no set of groups is ever held in Python."""
    day = dates.day_sql(Report.created_at, tz, session.get_bind().dialect.name)
    return (func.count().over(partition_by=(Report.category, Report.place_id, day)).label("same_received"),
            func.count().over(partition_by=(Report.category, Report.place_id, Report.occurred_on))
            .label("same_occurred"))


def _hides(place_id, occurred_on, same_received: int, same_occurred: int, k: int) -> bool:
    """A placed report in a group under k, by the day it arrived or the day it happened (an unplaced
    report names no market, and no day given is no group)."""
    return place_id is not None and (same_received < k or (occurred_on is not None and same_occurred < k))


def _hidden_per_place(session, where: list, tz, k: int) -> dict:
    """How many reports an anonymised file will hide, per place (before the first byte: the audit log
    and a GeoJSON's header need the count)."""
    if k <= 1:
        return {}
    sizes = select(Report.place_id, Report.occurred_on, *_group_sizes(session, tz)).where(
        *where, Report.place_id.is_not(None)).subquery()
    hidden = or_(sizes.c.same_received < k, and_(sizes.c.occurred_on.is_not(None), sizes.c.same_occurred < k))
    return dict(session.execute(select(sizes.c.place_id, func.count()).where(hidden).group_by(sizes.c.place_id)).all())


def _records(session, catalog, org: str, where: list, anonymised: bool, tz=None, k: int = 1) -> Iterator[dict]:
    """One dict per report, keys as in `columns(anonymised)` (datetimes naive UTC, days local); with
    k > 1, the place of a report in a group under k says "<k"."""
    tz = tz or dates.zone(None)
    hidden = suppression.marker(k)
    # A place's columns built once (not per report); an anonymised file's day comes from SQL: the
    # timestamps themselves are never fetched.
    no_place = dict.fromkeys(("place_id", "place", "place_kind", "city", "latitude", "longitude"))
    place_fields = {p.id: {"place_id": p.id, "place": p.name("en"), "place_kind": p.kind, "city": p.city,
                           "latitude": p.lat, "longitude": p.lon} for p in catalog.places(org)}
    hidden_fields = {"place_id": hidden, "place": hidden, "place_kind": None, "latitude": None, "longitude": None}
    if anonymised:
        received_on = dates.day_sql(Report.created_at, tz, session.get_bind().dialect.name).label("received_on")
        query = select(Report.reference, received_on, Report.occurred_on, Report.category, Report.status,
                       Report.place_id)
    else:
        query = (select(Report.reference, Report.created_at, Report.occurred_on, Report.category, Report.status,
                        Report.place_id, Report.updated_at, Report.occurred_text, Report.description,
                        Report.place_text, Report.address, Report.latitude, Report.longitude, Report.channel,
                        Report.language, Report.anonymous, Member.number, Member.name, Contact.phone)
                 .outerjoin(Member, and_(Member.id == Report.member_id, Member.organization == org))
                 .outerjoin(Contact, and_(Contact.id == Report.contact_id, Contact.organization == org)))
    suppress = anonymised and k > 1
    if suppress:
        query = query.add_columns(*_group_sizes(session, tz))
    query = query.where(*where).order_by(Report.created_at, Report.id).execution_options(yield_per=BATCH)
    for row in session.execute(query):
        if anonymised:
            received_on = row.received_on
        else:
            received = _utc(row.created_at)
            received_on = received.astimezone(tz).date()
        record = {"reference": row.reference, "received_on": received_on, "occurred_on": row.occurred_on,
                  "category": row.category, "status": row.status,
                  **(place_fields.get(row.place_id, no_place) if row.place_id else no_place)}
        if suppress and _hides(row.place_id, row.occurred_on, row.same_received, row.same_occurred, k):
            record.update(hidden_fields)
        if not anonymised:
            pin = row.latitude is not None and row.longitude is not None
            reporter = not row.anonymous
            record.update({
                "received_at_utc": received.replace(tzinfo=None, microsecond=0),
                "updated_at_utc": _utc(row.updated_at).replace(tzinfo=None, microsecond=0),
                "occurred_text": row.occurred_text,
                "description": row.description,
                "place_id": row.place_id,
                "place_text": row.place_text,
                "address": row.address,
                "latitude": row.latitude if pin else record["latitude"],
                "longitude": row.longitude if pin else record["longitude"],
                "location_source": "pin" if pin else ("place" if record["latitude"] is not None else None),
                "channel": row.channel,
                "language": row.language,
                "reporter_anonymous": bool(row.anonymous),
                "member_number": row.number if reporter else None,
                "member_name": row.name if reporter else None,
                "reporter_phone": row.phone if reporter else None,
            })
        yield record


def _utc(moment: datetime) -> datetime:
    """Stored moments in UTC; SQLite gives them back naive (and they are UTC)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)
