"""The optional public permalink to a poll's anonymised results (issue 15): off by default; an organizer
turns it on per poll (POST /polls/<id>/public), which makes an unguessable token (24 random bytes); turning
it off makes every old link a 404, as is an unknown token. No sign-in. What it shows leaves the
organization, so it is suppressed: counts under K show as "<K" (with the next smallest of the line hidden
too), a share only beside a count shown, no breakdown chart (a group's shares would give its small counts
away), never who answered or who made the poll.

GET /polls/public/<token>   (nested in the polls blueprint: endpoint polls.public.show)"""
from __future__ import annotations

from flask import Blueprint, abort, render_template

from bot.broadcasts import polls
from bot.desk import suppression
from webhooks.dashboard import poll_charts
from webhooks.dashboard.poll_labels import BREAKDOWNS as NAMES, breakdown_group, option_label
from webhooks.dashboard.common import current_services

bp = Blueprint("public", __name__, url_prefix="/public")
BREAKDOWNS = ("market", "trade", "language", "channel")


def _line(options: list[dict], k: int) -> list[dict]:
    counts = [o["count"] for o in options]
    hidden = suppression.hide_line(counts, k)
    return [{"option": o["option"], "count": suppression.show(n, k, h),
             "share": None if h or suppression.small(n, k) else o["share"]}
            for o, n, h in zip(options, counts, hidden)]


def suppressed(result: dict, k: int) -> dict:
    """The results with every count that leaves the organization suppressed; nothing personal."""
    questions = []
    for q in result["questions"]:
        if q["free"]:
            continue  # free answers are people's own words: not published
        by = {name: {key: {"answers": suppression.show(g["answers"], k), "options": _line(g["options"], k)}
                     for key, g in q["by"][name].items()} for name in BREAKDOWNS}
        questions.append({"index": q["index"], "texts": q["texts"], "labels": q["labels"],
                          "answers": suppression.show(q["answers"], k), "options": _line(q["options"], k),
                          "by": by, "free": False, "raw": q})
    return {"name": result["name"], "state": result["state"], "respondents": suppression.show(result["respondents"], k),
            "response_rate": result["response_rate"], "response_rate_of": result["response_rate_of"],
            "questions": questions}


@bp.get("/<token>")
def show(token: str):
    services = current_services()
    poll = polls.by_public_token(services, token)
    if poll is None:
        abort(404)
    k = services.settings.suppress_below
    r = suppressed(polls.results(services, poll.id), k)
    org = services.catalog.org(poll.organization)
    lang = org.default_language
    label = lambda q, o: option_label(q, o, lang)  # noqa: E731
    drawn = {}
    for q in r["questions"]:  # the overall chart only, small counts left out
        one = {**q["raw"], "by": {name: {} for name in BREAKDOWNS}}
        drawn.update(poll_charts.charts({"questions": [one]}, label, lambda n, key: key,
                                        hide=lambda n: suppression.small(n, k)))
    response = render_template("dashboard/polls/public.html", r=r, org=org, k=k, charts=drawn, breakdowns=NAMES,
                               label=label, group_name=lambda n, key: breakdown_group(n, key, lang),
                               question_text=lambda q: q["texts"].get(lang) or next(iter(q["texts"].values())))
    return response, 200, {"X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer"}
