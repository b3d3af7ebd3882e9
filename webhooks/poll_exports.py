"""A poll's results as files (issue 15): CSV and XLSX with the same rows, one per question, breakdown,
group and option. No member is named (results carry no phone or id); a line's counts under K show as "<K",
with the next smallest hidden too so the line's total does not give it away (bot/desk/suppression.py).
Used by the API (webhooks/polls_api.py), the Polls page and the public permalink."""
from __future__ import annotations

import csv
import io

from bot.desk import suppression

HEADER = ["question", "breakdown", "group", "option", "count"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def rows(result: dict, k: int):
    for q in result["questions"]:
        lines = [("all", "all", q["options"])]
        lines += [(name, key, group["options"]) for name, groups in q["by"].items() for key, group in groups.items()]
        for name, key, options in lines:
            counts = [o["count"] for o in options]
            hidden = suppression.hide_line(counts, k)
            for o, n, h in zip(options, counts, hidden):
                yield [q["index"] + 1, name, key, o["option"], suppression.show(n, k, h)]


def csv_text(result: dict, k: int) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    writer.writerows(rows(result, k))
    return out.getvalue()


def xlsx_bytes(result: dict, k: int) -> bytes:
    """The same rows in one sheet (counts as numbers, "<K" as text), and an About sheet."""
    import xlsxwriter

    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False, "strings_to_formulas": False,
                                     "strings_to_urls": False})
    sheet, about = book.add_worksheet("Results"), book.add_worksheet("About")
    bold = book.add_format({"bold": True})
    for i, name in enumerate(HEADER):
        sheet.write_string(0, i, name, bold)
    n = 0
    for n, row in enumerate(rows(result, k), 1):
        for i, value in enumerate(row):
            if isinstance(value, int):
                sheet.write_number(n, i, value)
            else:
                sheet.write_string(n, i, str(value))
    sheet.autofilter(0, 0, max(n, 1), len(HEADER) - 1)
    sheet.freeze_panes(1, 0)
    about.set_column(0, 0, 22)
    about.set_column(1, 1, 70)
    for i, (label, value) in enumerate([
            ("Poll", result["name"]), ("Version", str(result["version"])), ("Respondents", str(result["respondents"])),
            ("Response rate", f"{result['response_rate']:.1%} of {result['response_rate_of']}"),
            ("Anonymised", f"yes: no member named; counts under {k} shown as <{k}")]):
        about.write_string(i, 0, label, bold)
        about.write_string(i, 1, value)
    book.close()
    return out.getvalue()
