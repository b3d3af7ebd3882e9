"""Broadcasts: the organization's list, a compose page (one text per org language with live segment
counts, a segment picker with a live recipient count and cost), and a progress page that updates live
and can pause, resume or cancel.

GET  /broadcasts                      list (broadcasts.index)
GET  /broadcasts/new                  compose; query parameters prefill it (markets=, cities=, trades=,
                                      languages=, registered=yes|no, text_<lang>=, name=), so other pages
                                      (market status) can link here with a ready notice
POST /broadcasts/new                  form: action=preview (re-render with the preview) | action=send
POST /broadcasts/preview              JSON {segment, texts, template?} -> recipients and cost (nothing stored)
GET  /broadcasts/<id>                 progress page (broadcasts.detail), server-rendered first paint
GET  /broadcasts/<id>/progress        JSON progress (polled every 2 s while sending)
POST /broadcasts/<id>/<action>        send | pause | resume | cancel (form: redirect; fetch: JSON)

Everything goes through bot.broadcasts with g.account.organization: another organization's id is 404."""
from __future__ import annotations

import secrets

from flask import (Blueprint, abort, flash, g, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _, ngettext

from bot import broadcasts
from bot.broadcasts.audience import CHANNELS
from bot.broadcasts.validate import MAX_TEXT, Draft, validate
from bot.desk.accounts import audit
from content.sms import non_gsm7_chars, segment_info, smart_encode
from webhooks.dashboard.auth import login_required
from webhooks.dashboard.broadcast_texts import (LANGUAGE_NAMES, STATE_LABELS, error_text, explain, state_label,
                                                who)
from webhooks.dashboard.common import current_services, current_org

bp = Blueprint("broadcasts", __name__, url_prefix="/broadcasts")

ACTIONS = {"draft": ("send", "cancel"), "sending": ("pause", "cancel"), "paused": ("resume", "cancel")}
LIVE_STATES = ("sending",)


def _wants_json() -> bool:
    return request.is_json or "application/json" in request.headers.get("Accept", "")


# --------------------------------------------------------------------------- input


def _options(org) -> dict:
    """What the segment picker offers for this organization (bot.broadcasts.validate accepts the same)."""
    catalog = current_services().catalog
    places = sorted(catalog.places(org.slug), key=lambda p: (p.city, p.name(org.default_language)))
    return {
        "cities": list(org.cities),
        "markets": [(p.id, p.name(org.default_language), p.city, p.kind) for p in places],
        "trades": list(catalog.choice("trade").values),
        "languages": list(org.languages),
        "channels": list(CHANNELS),
    }


def parse(org, data: dict, *, strict: bool = True) -> Draft:
    """The page's JSON (or the form turned into the same shape) through the one broadcast validator.
    strict=False (the live preview) lets texts be empty: the count still shows while one types."""
    return validate(current_services().catalog, org.slug, data, strict=strict)


def _template_variables(raw: str) -> dict:
    """'1=Gikomba' per line -> {"1": "Gikomba"}."""
    out = {}
    for number, line in enumerate((raw or "").replace("\r\n", "\n").split("\n"), 1):
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise broadcasts.BroadcastError(_("Template variables, line %(line)s: write it as 1=value", line=number))
        out[key.strip()] = value.strip()
    return out


def _from_form(org, form) -> dict:
    """The compose form as the JSON shape parse() reads."""
    data = {
        "name": form.get("name", ""),
        "segment": {"cities": form.getlist("cities"), "markets": form.getlist("markets"),
                    "trades": form.getlist("trades"), "languages": form.getlist("languages"),
                    "channels": form.getlist("channels") or list(CHANNELS),
                    "registered": form.get("registered", "any")},
        "texts": {lang: form.get(f"text_{lang}", "") for lang in org.languages},
    }
    sid = form.get("template_sid", "").strip()
    if sid:
        data["template"] = {"content_sid": sid, "variables": _template_variables(form.get("template_vars", ""))}
    extra = [k for k in form if k.startswith("text_") and k[5:] not in org.languages]
    if extra:
        raise broadcasts.BroadcastError(
            f"language {extra[0][5:]!r} is not one of this organization's ({', '.join(org.languages)})")
    return data


# --------------------------------------------------------------------------- preview


def text_info(texts: dict) -> dict:
    """Per language, what the SMS costs (the text the service sends: stripped, smart-encoded) and the
    characters that force UCS-2; the same figures segments.js shows while typing."""
    out = {}
    for lang, text in texts.items():
        sent = smart_encode(text.strip())
        info = segment_info(sent)
        out[lang] = {"encoding": info.encoding, "segments": info.segments, "characters": len(sent),
                     "whatsapp_characters": len(text.strip()),
                     "forcing": list(dict.fromkeys(c for _, c in non_gsm7_chars(sent)))}
    return out


def summarize(org, parsed: Draft) -> dict:
    """The preview the page shows: recipients by channel and language, SMS segments, WhatsApp messages
    (free text or template), skipped ones with the reason in words."""
    texts = dict(parsed.texts)
    missing_default = org.default_language not in texts
    if missing_default:  # still count who would get it while the organizer writes
        texts[org.default_language] = "."
    p = broadcasts.preview(current_services(), organization=org.slug, segment=parsed.segment, texts=texts,
                           template=parsed.template)
    sms = [grp for grp in p["groups"] if grp["channel"] == "sms"]
    wa = [grp for grp in p["groups"] if grp["channel"] == "whatsapp"]
    by_language: dict[str, int] = {}
    for grp in p["groups"]:
        by_language[grp["language"]] = by_language.get(grp["language"], 0) + grp["recipients"]
    return {
        "recipients": p["recipients"],
        "sms": {"recipients": sum(grp["recipients"] for grp in sms),
                "segments": None if missing_default else p["sms_segments"]},
        "whatsapp": {"recipients": sum(grp["recipients"] for grp in wa),
                     "text": sum(grp["recipients"] for grp in wa if grp["mode"] == "text"),
                     "template": sum(grp["recipients"] for grp in wa if grp["mode"] == "template")},
        "by_language": by_language,
        "groups": p["groups"] if not missing_default else
        [{**grp, "segments_each": None, "segments_total": None} for grp in p["groups"]],
        "skipped": [{"reason": reason, "count": n, "explanation": explain(reason)}
                    for reason, n in sorted(p["skipped"].items())],
        "texts": text_info(parsed.texts),
        "missing_texts": [lang for lang in org.languages if lang not in parsed.texts],
        "complete": not missing_default,
    }


@bp.post("/preview")
@login_required
def preview_json():
    org = current_org()
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return jsonify(error="send a JSON object {segment, texts, template}", status=400), 400
    try:
        return jsonify(summarize(org, parse(org, data, strict=False)))
    except broadcasts.BroadcastError as exc:
        return jsonify(error=error_text(exc), status=400), 400


# --------------------------------------------------------------------------- list and compose


@bp.get("")
@login_required
def index():
    rows = broadcasts.list_broadcasts(current_services(), g.account.organization, limit=100, counts=True)
    for row in rows:
        row["who"] = who(row["created_by"])
    return render_template("dashboard/broadcasts/index.html", rows=rows, state_labels=STATE_LABELS,
                           state_label=state_label)


def _compose_page(org, values: dict, *, preview=None, error=None, status=200, compose_id=None):
    catalog = current_services().catalog
    return render_template("dashboard/broadcasts/compose.html", options=_options(org), values=values,
                           unicode_languages=[lang for lang in org.languages
                                              if not catalog.sms_is_gsm7(org.slug, lang)],
                           preview=preview, error=error, language_names=LANGUAGE_NAMES,
                           compose_id=compose_id or secrets.token_urlsafe(16), max_text=MAX_TEXT,
                           text_info=text_info({k: v for k, v in values["texts"].items() if v.strip()})), status


def _values_from(source, org) -> dict:
    """Form or query values for re-rendering the form exactly as the organizer left it."""
    def many(name):
        out = []
        for v in source.getlist(name):
            out.extend(x.strip() for x in v.split(",") if x.strip())
        return out

    return {
        "name": source.get("name", ""),
        "cities": many("cities"), "markets": many("markets"), "trades": many("trades"),
        "languages": many("languages"), "channels": many("channels") or list(CHANNELS),
        "registered": source.get("registered", "any") if source.get("registered") in ("any", "yes", "no") else "any",
        "texts": {lang: source.get(f"text_{lang}", "") for lang in org.languages},
        "template_sid": source.get("template_sid", ""), "template_vars": source.get("template_vars", ""),
    }


@bp.get("/new")
@login_required
def compose():
    org = current_org()
    values = _values_from(request.args, org)
    markets = {m[0] for m in _options(org)["markets"]}
    values["markets"] = [m for m in values["markets"] if m in markets]  # a stale link never pre-selects junk
    return _compose_page(org, values)[0]


@bp.post("/new")
@login_required
def compose_post():
    org, services = current_org(), current_services()
    values = _values_from(request.form, org)
    compose_id = request.form.get("compose_id") or secrets.token_urlsafe(16)
    action = request.form.get("action", "preview")
    if action not in ("preview", "send"):
        return _compose_page(org, values, error=_("Choose Preview or Send."), status=400, compose_id=compose_id)
    try:
        parsed = parse(org, _from_form(org, request.form))
        summary = summarize(org, parsed)
    except broadcasts.BroadcastError as exc:
        return _compose_page(org, values, error=error_text(exc), status=400, compose_id=compose_id)
    if action == "preview":
        return _compose_page(org, values, preview=summary, compose_id=compose_id)
    if not summary["recipients"]:
        return _compose_page(org, values, preview=summary, status=400, compose_id=compose_id,
                             error=_("No one matches this segment: nothing to send."))

    # One broadcast per compose form, also when Send is pressed twice or the POST is retried.
    key = f"streetline:dashboard:broadcast-compose:{org.slug}:{compose_id[:64]}"
    redis = services.redis
    if redis is not None and not redis.set(key, "pending", nx=True, ex=24 * 3600):
        existing = redis.get(key)
        if existing and existing.isascii() and existing.isdigit():
            return redirect(url_for(".detail", broadcast_id=int(existing)), 303)
        return _compose_page(org, values, preview=summary, status=409, compose_id=compose_id,
                             error=_("This broadcast is already being sent: open Broadcasts to watch it."))
    try:
        bid = broadcasts.create_broadcast(services, org.slug, parsed.segment, parsed.texts,
                                          parsed.template, created_by=g.account.email, name=parsed.name)
        started = broadcasts.send_broadcast(services, bid, org.slug)
    except broadcasts.BroadcastError as exc:
        if redis is not None:
            redis.delete(key)
        return _compose_page(org, values, preview=summary, error=error_text(exc), status=400, compose_id=compose_id)
    if redis is not None:
        redis.set(key, str(bid), ex=24 * 3600)
    audit(services, org.slug, g.account.id, "broadcast.send", target=str(bid),
          detail={"recipients": started["recipients"], "segment": parsed.segment})
    flash(ngettext("Sending to %(num)s recipient. This page updates as messages go out.",
                   "Sending to %(num)s recipients. This page updates as messages go out.", summary["recipients"]),
          "info")
    return redirect(url_for(".detail", broadcast_id=bid), 303)


# --------------------------------------------------------------------------- progress and actions


def _progress(broadcast_id: int) -> dict:
    try:
        p = broadcasts.progress(current_services(), broadcast_id, g.account.organization)
    except broadcasts.NotFound:
        abort(404, description=_("There is no such broadcast in your organization."))
    p["state_label"] = state_label(p["state"])
    p["allowed"] = list(ACTIONS.get(p["state"], ()))
    p["live"] = p["state"] in LIVE_STATES
    p["failures"] = [{**f, "explanation": explain(f["reason"]), "state_label": state_label(f["state"])}
                    for f in p["failures"]]
    p["created_by"] = who(p["created_by"])
    if p["state"] == "draft":  # no recipient rows yet: who it would reach if sent now
        p["planned"] = broadcasts.preview(current_services(), broadcast_id, organization=g.account.organization)["recipients"]
    return p


@bp.get("/<int:broadcast_id>")
@login_required
def detail(broadcast_id: int):
    p = _progress(broadcast_id)
    return render_template("dashboard/broadcasts/detail.html", p=p, state_labels=STATE_LABELS, state_label=state_label,
                           language_names=LANGUAGE_NAMES, texts=text_info(p["texts"]),
                           place_names={m[0]: m[1] for m in _options(current_org())["markets"]})


@bp.get("/<int:broadcast_id>/progress")
@login_required
def progress_json(broadcast_id: int):
    response = jsonify(_progress(broadcast_id))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:broadcast_id>/<action>")
@login_required
def act(broadcast_id: int, action: str):
    services, org = current_services(), g.account.organization
    _progress(broadcast_id)  # 404 for another organization's (or no) broadcast, before anything else
    if action not in ("send", "pause", "resume", "cancel"):
        abort(404, description=_("No such action."))
    try:
        if action == "send":
            broadcasts.send_broadcast(services, broadcast_id, org)
        else:
            getattr(broadcasts, action)(services, broadcast_id, org)
    except broadcasts.NotFound:
        abort(404, description=_("There is no such broadcast in your organization."))
    except broadcasts.BroadcastError as exc:
        message = str(exc)
        if _wants_json():
            return jsonify(error=message, status=409), 409
        flash(message, "error")
        return redirect(url_for(".detail", broadcast_id=broadcast_id), 303)
    audit(services, org, g.account.id, f"broadcast.{action}", target=str(broadcast_id))
    if _wants_json():
        return jsonify(_progress(broadcast_id))
    done = {"send": _("Sending started."), "pause": _("Paused: nothing more goes out until you resume."),
            "resume": _("Resumed."), "cancel": _("Cancelled: nothing more will be sent.")}
    flash(done[action], "info")
    return redirect(url_for(".detail", broadcast_id=broadcast_id), 303)
