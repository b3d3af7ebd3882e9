"""The results text a respondent reads (RESULTS, and the message sent back when a poll closes): the first
question with options, overall and at the member's market, in their language, in one SMS segment where the
content allows (option labels, else option numbers). A market with fewer answers than K is left out: its
shares could point at people. Pure: the catalog and a results() dict in, a text out."""
from __future__ import annotations

from content.sms import segment_info, smart_encode


def first_question(result: dict) -> dict | None:
    """The question the results text is about: the first with options and answers."""
    question = next((q for q in result["questions"] if q["options"]), None)
    return question if question is not None and question["answers"] else None


def shares(question: dict, options: list[dict], lang: str, default: str, labels: bool = True) -> str:
    parts = []
    for n, o in enumerate(options, 1):
        if o["option"] == "other":
            continue
        names = question["labels"].get(o["option"], {})
        name = (names.get(lang) or names.get(default) or o["option"]) if labels else str(n)
        parts.append(f"{name} {round(100 * o['share'])}%")
    return ", ".join(parts)


def local_group(question: dict, market: str | None, k: int) -> dict | None:
    """The market's breakdown, or None when it is unknown or has fewer than k answers."""
    group = question["by"]["market"].get(market) if market else None
    return group if group is not None and group["answers"] >= k else None


def text(catalog, org, question: dict, lang: str, channel: str, local: dict | None = None,
         market_name: str | None = None) -> str:
    """The text for one reader; on SMS the labelled version unless only the numbered one fits one segment."""
    default, body = org.default_language, ""
    for labels in (True, False):
        overall = shares(question, question["options"], lang, default, labels)
        if local is not None:
            body = catalog.text(org.slug, "poll.results", lang, channel, overall=overall, market=market_name,
                                local=shares(question, local["options"], lang, default, labels))
        else:
            body = catalog.text(org.slug, "poll.results.all", lang, channel, overall=overall)
        if channel != "sms" or segment_info(smart_encode(body)).segments == 1:
            break
    return body
