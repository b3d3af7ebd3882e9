"""A poll's results as charts, drawn on the server as SVG by pygal (as the evidence brief's) and shown as
data: images (an image runs no script: the strict CSP holds). Per question with options: the overall
counts per option, and per breakdown (market, trade, language, channel) each group's shares stacked to
100 %. `hide(n)` -> True leaves a count out (the public page's suppression): never drawn small."""
from __future__ import annotations

import base64

BREAKDOWNS = ("market", "trade", "language", "channel")


def _uri(chart) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(chart.render(is_unicode=True).encode()).decode()


def _style():
    from pygal.style import CleanStyle

    return CleanStyle(font_family="DejaVu Sans, sans-serif", background="white", plot_background="white")


def charts(result: dict, label, group_name, hide=lambda n: False) -> dict:
    """{question index: {"all": uri, "market": uri, ...}}; label(question, option), group_name(name, key)."""
    from bot.desk.evidence import _pygal  # pygal without its map plugins' import hook

    pygal = _pygal()
    out = {}
    for q in result["questions"]:
        if q["free"] or not q["answers"]:
            continue
        options = [o["option"] for o in q["options"]]
        overall = pygal.HorizontalBar(style=_style(), width=640, height=80 + 36 * len(options), show_legend=False,
                                      disable_xml_declaration=True, print_values=True, js=[])
        overall.x_labels = [label(q, o) for o in options]
        overall.add("", [None if hide(o["count"]) else o["count"] for o in q["options"]])
        drawn = {"all": _uri(overall)}
        for name in BREAKDOWNS:
            groups = q["by"][name]
            if len(groups) < 2:
                continue  # one group: the overall chart says it
            chart = pygal.HorizontalStackedBar(style=_style(), width=640, height=110 + 34 * len(groups),
                                               disable_xml_declaration=True, legend_at_bottom=True, js=[],
                                               range=(0, 100), value_formatter=lambda v: f"{v:.0f}%")
            chart.x_labels = [group_name(name, key) for key in groups]
            for o in options:
                values = []
                for group in groups.values():
                    share = next((x for x in group["options"] if x["option"] == o), None)
                    values.append(None if share is None or hide(group["answers"]) else round(100 * share["share"], 1))
                chart.add(label(q, o), values)
            drawn[name] = _uri(chart)
        out[q["index"]] = drawn
    return out
