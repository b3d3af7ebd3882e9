"""The bytes of a reports export (bot/desk/exports.py selects the rows): CSV with formula-looking text
defused, XLSX through XlsxWriter's constant_memory mode (rows by bot/desk/xlsx_rows.py), and RFC 7946
GeoJSON. Each takes the records one dict at a time and yields chunks, so a big file never sits in memory."""
from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from collections.abc import Iterator
from datetime import date, datetime

from bot.desk import suppression

BATCH = 1000
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


# --------------------------------------------------------------------------- CSV


def csv_cell(value) -> str:
    """A value as CSV text; text that a spreadsheet would run as a formula gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    return str(value)  # numbers we computed: -1.2836 is a number, not a formula


def csv_chunks(records: Iterator[dict], names: tuple[str, ...]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")  # so spreadsheet programs read UTF-8 (Swahili, French, Hindi) as UTF-8
    writer.writerow(names)
    for n, record in enumerate(records, 1):
        writer.writerow([csv_cell(record[name]) for name in names])
        if n % BATCH == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


# --------------------------------------------------------------------------- XLSX

WIDTHS = {"reference": 10, "description": 60, "place": 22, "address": 30, "place_text": 24, "member_name": 24,
          "reporter_phone": 16, "received_at_utc": 19, "updated_at_utc": 19, "occurred_text": 18}


XLSX_TEXT_MAX = 32767  # Excel's limit per cell


def xlsx_text(value: str) -> str:
    """Text as an XLSX cell holds it, at most Excel's length. Written with write_string it stays text:
    "=HYPERLINK(...)" is never a formula; XlsxWriter escapes the characters XML cannot hold (_x0001_)."""
    return value[:XLSX_TEXT_MAX]


def xlsx_chunks(records: Iterator[dict], names: tuple[str, ...], meta: dict, name: str) -> Iterator[bytes]:
    """XlsxWriter in constant_memory mode: each row goes to a temporary file as it is written (flat
    memory); the zip is made, then streamed, at the end."""
    import xlsxwriter

    from bot.desk.xlsx_rows import write_rows

    with tempfile.TemporaryDirectory(prefix="streetline-xlsx-") as tmpdir:
        path = os.path.join(tmpdir, "export.xlsx")
        book = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": tmpdir, "strings_to_numbers": False,
                                          "strings_to_formulas": False, "strings_to_urls": False})
        sheet, about = book.add_worksheet("Reports"), book.add_worksheet("About")
        bold = book.add_format({"bold": True})
        day = book.add_format({"num_format": "yyyy-mm-dd"})
        moment = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        for i, column in enumerate(names):
            sheet.set_column(i, i, WIDTHS.get(column, 14))
        sheet.freeze_panes(1, 0)
        for i, column in enumerate(names):
            sheet.write_string(0, i, column, bold)
        count = write_rows(sheet, records, names, day, moment)  # bot/desk/xlsx_rows.py: the hot path
        sheet.autofilter(0, 0, count, len(names) - 1)

        about.set_column(0, 0, 22)
        about.set_column(1, 1, 80)
        about.write_string(0, 0, f"Reports of {xlsx_text(name)}", book.add_format({"bold": True, "font_size": 13}))
        filters = ", ".join(f"{k} = {v}" for k, v in meta["filters"].items()) or "none (all reports)"
        lines = [
            ("Organization", meta["organization"]),
            ("Generated (UTC)", meta["generated_at"]),
            ("Reports", str(count)),
            ("Filters", filters),
            ("Anonymised", "yes" if meta["anonymised"] else "NO: contains reporters' personal details"),
            ("Days", f"received_on is the day the report reached the line, in {meta['timezone']}; "
                     "occurred_on is the day the worker gave."),
        ]
        if meta["anonymised"]:
            lines.append(("Places", "The market or area the report was matched to; latitude/longitude are that "
                                    "place's point, not where the worker stood. No names, phone numbers, member "
                                    "numbers or descriptions."))
            k = meta["suppressed_below"]
            lines.append(("Small groups", f"{meta['suppressed']} reports show {suppression.marker(k)} as their "
                                          f"place: fewer than {k} reports of that category at that place on that "
                                          "day, which could point at the worker who reported."))
        else:
            lines.append(("Handle with care", "Personal data of workers. Do not forward. The export is logged."))
        for row, (key, value) in enumerate(lines, 1):
            about.write_string(row, 0, xlsx_text(key))
            about.write_string(row, 1, xlsx_text(value))
        book.close()
        with open(path, "rb") as made:
            while chunk := made.read(64 * 1024):
                yield chunk


# --------------------------------------------------------------------------- GeoJSON


def json_value(value):
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    return value


def geojson_chunks(records: Iterator[dict], names: tuple[str, ...], meta: dict) -> Iterator[bytes]:
    """RFC 7946: a FeatureCollection of Points ([longitude, latitude], WGS 84); reports without a
    point are left out and counted in the foreign member "streetline"."""
    properties = [n for n in names if n not in ("latitude", "longitude")]
    head = json.dumps({"type": "FeatureCollection", "streetline": meta}, ensure_ascii=False)
    yield (head[:-1] + ', "features": [').encode("utf-8")
    first, batch = True, []
    for record in records:
        if record["latitude"] is None or record["longitude"] is None:
            continue
        feature = {"type": "Feature", "id": record["reference"],
                   "geometry": {"type": "Point", "coordinates": [record["longitude"], record["latitude"]]},
                   "properties": {n: json_value(record[n]) for n in properties}}
        batch.append(("" if first else ",") + "\n" + json.dumps(feature, ensure_ascii=False))
        first = False
        if len(batch) >= BATCH:
            yield "".join(batch).encode("utf-8")
            batch = []
    batch.append("\n]}\n")
    yield "".join(batch).encode("utf-8")
