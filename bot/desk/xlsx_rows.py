"""Rows of a big XLSX sheet written straight into XlsxWriter's constant_memory row file.

XlsxWriter in constant_memory mode keeps one row in memory and writes it to a temporary file as the
next one starts; per cell it still dispatches on argument styles, stores a tuple, re-reads it and
formats XML through several helper calls, which made the XLSX export ~15x the cost of a plain SELECT
plus CSV. This writes each row's XML in one go, the same XML XlsxWriter writes for the same cells
(inline strings through XlsxWriter's own escaping, so text is always text, never a formula; numbers;
days and times as Excel serial numbers with a date format), and leaves the workbook, styles, sheet
header, autofilter and zip to XlsxWriter. Uses XlsxWriter internals (row_data_fh, _write_single_row,
_check_dimensions, the escape helpers): pinned in requirements.lock; tests read the files back with
openpyxl.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date, datetime

EXCEL_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's 1900 date system
TEXT_MAX = 32767  # Excel's limit per cell
_SPACE = (" ", "\t", "\n", "\r")
# What XlsxWriter's _escape_control_characters changes (its two patterns and two non-characters): most
# text has none of it, and one search is much cheaper than its two substitutions.
_NEEDS_ESCAPE = re.compile("_x[0-9a-fA-F]{4}_|[\x00-\x08\x0b-\x1f\ufffe\uffff]")


def write_rows(sheet, records: Iterable[dict], names: tuple[str, ...], day_format, moment_format) -> int:
    """Write records (one dict per row, keys `names`) from row 1 down (row 0 is the header, already
    written with XlsxWriter's own calls). Returns the number of rows."""
    from xlsxwriter.utility import xl_col_to_name

    if not sheet.constant_memory:
        raise ValueError("write_rows needs a constant_memory worksheet")
    sheet._write_single_row(1)  # flush the header row XlsxWriter still holds
    write = sheet.row_data_fh.write
    escape_control, escape, needs = sheet._escape_control_characters, sheet._escape_data, _NEEDS_ESCAPE.search
    letters = [xl_col_to_name(i) for i in range(len(names))]
    columns = list(zip(names, letters))
    day_style, moment_style = day_format._get_xf_index(), moment_format._get_xf_index()
    serials: dict[date, int] = {}
    epoch_day = EXCEL_EPOCH.date()
    count = 0
    for count, record in enumerate(records, 1):
        r = count + 1
        cells = [f'<row r="{r}">']
        for column, letter in columns:
            value = record[column]
            if value is None:
                continue
            kind = type(value)
            if kind is str or kind is bool:
                if kind is bool:
                    text = "yes" if value else "no"
                else:
                    text = value[:TEXT_MAX]
                    text = escape(escape_control(text) if needs(text) else text)
                space = ' xml:space="preserve"' if text and (text[0] in _SPACE or text[-1] in _SPACE) else ""
                cells.append(f'<c r="{letter}{r}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
            elif kind is date:
                serial = serials.get(value)
                if serial is None:
                    serial = serials[value] = (value - epoch_day).days
                cells.append(f'<c r="{letter}{r}" s="{day_style}"><v>{serial}</v></c>')
            elif kind is datetime:
                delta = value.replace(tzinfo=None) - EXCEL_EPOCH
                cells.append(f'<c r="{letter}{r}" s="{moment_style}"><v>{delta.days + delta.seconds / 86400:.16G}</v></c>')
            else:
                cells.append(f'<c r="{letter}{r}"><v>{value:.16G}</v></c>')
        cells.append("</row>")
        write("".join(cells))
    if count:
        sheet._check_dimensions(count, len(names) - 1)  # the sheet's <dimension ref="A1:K50001">
    sheet.previous_row = count + 1  # what XlsxWriter would flush next: nothing
    return count
