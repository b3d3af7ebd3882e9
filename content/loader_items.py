"""Load an organization's relief programmes and registration guides, and compose the WhatsApp text
of each from its fields and the relief.detail / guide.detail layout once every file is read."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from content.raw import RawContent, add_message, read_yaml, rel_path, str_list
from content.texts import GENERIC, Pages, Vars, entry_channel, parse_entry
from content.types import FALLBACK_LANGUAGE, GUIDE_TOPICS, Guide, Organization, Problem, Programme


_RELIEF_FIELDS = ("title", "who", "what", "where", "when", "how")
_GUIDE_FIELDS = ("title", "steps", "documents", "fees")


def load_items(raw: RawContent, org: Organization, f: Path, kind: str) -> None:
    root, P = raw.root, raw.problems
    rel = rel_path(f, root)
    data = read_yaml(f, P, root)
    listname = "programmes" if kind == "programme" else "guides"
    items = data.get(listname) if isinstance(data, dict) else None
    if data is not None and not isinstance(items, list):
        P.append(Problem(rel, message=f"needs a '{listname}' list"))
    out: list[Any] = []
    for i, it in enumerate(items or []):
        iid = it.get("id") if isinstance(it, dict) else None
        key = f"{listname}[{i}]" + (f" {iid}" if iid else "")
        if not isinstance(it, dict) or not isinstance(iid, str):
            P.append(Problem(rel, key, message=f"a {kind} needs an id"))
            continue
        cities, trades = str_list(it.get("cities", org.cities)), str_list(it.get("trades", org.trades))
        offices = str_list(it.get("offices", []))
        texts = it.get("texts")
        if cities is None or trades is None or offices is None or not isinstance(texts, dict):
            P.append(Problem(rel, iid, message="cities/trades/offices must be lists and texts a language mapping"))
            continue
        for o in offices:
            raw.refs.append((rel, iid, "office", o))
        if kind == "programme":
            places = str_list(it.get("places", [])) or []
            guide = it.get("guide")
            for p in places:
                raw.refs.append((rel, iid, "place", p))
            if guide is not None:
                raw.refs.append((rel, iid, "guide", str(guide)))
            out.append(Programme(iid, org.slug, cities, trades, places, offices, guide))
            base = f"relief.{iid}"
        else:
            topic = it.get("topic")
            if topic not in GUIDE_TOPICS:
                P.append(Problem(rel, iid, message=f"topic {topic!r} is not one of {', '.join(GUIDE_TOPICS)}"))
            out.append(Guide(iid, org.slug, str(topic), cities, trades, offices))
            base = f"guide.{iid}"
        for lang, t in texts.items():
            lang = str(lang)
            if not isinstance(t, dict):
                P.append(Problem(rel, iid, lang, "texts must be a mapping"))
                continue
            fields = _RELIEF_FIELDS if kind == "programme" else _GUIDE_FIELDS
            missing = [n for n in fields if not t.get(n)]
            if missing:
                P.append(Problem(rel, iid, lang, f"missing field(s): {', '.join(missing)}"))
                continue
            wrong = [n for n in fields if n != "title" and not (
                isinstance(t[n], str) if n not in ("steps", "documents") else str_list(t[n]))]
            if wrong:
                P.append(Problem(rel, iid, lang, f"field(s) {', '.join(wrong)}: steps/documents are lists of "
                                                 "strings, the others strings"))
                continue
            if "sms" not in t:
                P.append(Problem(rel, iid, lang, "missing 'sms' (the SMS answer: a string or a list of pages)"))
                continue
            add_message(raw, org.slug, f"{base}.title", lang, t["title"], rel)
            if t.get("whatsapp"):
                add_message(raw, org.slug, base, lang, {"sms": t["sms"], "whatsapp": t["whatsapp"]}, rel)
                continue
            sms = parse_entry(t["sms"])
            if isinstance(sms, str):
                P.append(Problem(rel, f"{base} sms", lang, sms))
                continue
            composed = _ItemText(kind, t, it)
            composed.lang = lang
            raw.messages.setdefault((org.slug, base), {})[lang] = {"sms": sms[GENERIC], "whatsapp": composed}  # type: ignore[dict-item]
            raw.sources[(org.slug, base, lang)] = rel
    if kind == "programme":
        raw.programmes[org.slug] = out
    else:
        raw.guides[org.slug] = out


class _ItemText:
    """A WhatsApp text composed from a programme's / guide's fields and the system template
    ``relief.detail`` / ``guide.detail`` once every file is loaded."""

    def __init__(self, kind: str, fields: dict[str, Any], item: dict[str, Any]):
        self.kind, self.fields, self.item, self.lang = kind, fields, item, ""


# --------------------------------------------------------------------------- resolution


def _compose(raw: RawContent, org: Organization, item: _ItemText) -> Pages:
    lang = item.lang
    tkey = "relief.detail" if item.kind == "programme" else "guide.detail"
    tmpl_entry = raw.messages.get((None, tkey), {})
    tmpl_entry = tmpl_entry.get(lang) or tmpl_entry.get(org.default_language) or tmpl_entry.get(FALLBACK_LANGUAGE)
    f = item.fields
    esc = lambda s: str(s).replace("{", "{{").replace("}", "}}")  # noqa: E731 - values are literal text
    offices = [o for o in raw.offices.get(org.slug, []) if o.id in (item.item.get("offices") or [])]
    office_lines = "\n".join(
        f"- {o.name(lang)}: {o.address.get(lang) or next(iter(o.address.values()), '')}"
        + (f" ({o.hours.get(lang)})" if o.hours.get(lang) else "")
        for o in offices
    )
    title = f.get("title")
    if isinstance(title, dict):
        title = title.get("whatsapp") or title.get("text") or title.get("sms") or ""
    values = {n: esc(f[n]) for n in ("who", "what", "where", "when", "how") if n in f}
    values["title"] = esc(title)
    if item.kind == "guide":
        values["steps"] = esc("\n".join(f"{i}. {s}" for i, s in enumerate(f.get("steps") or [], 1)))
        values["documents"] = esc("\n".join(f"- {d}" for d in f.get("documents") or []))
        values["fees"] = esc(f.get("fees", ""))
    values["offices"] = esc(office_lines or "-")
    if not tmpl_entry:
        return ("\n".join(str(v) for v in values.values()),)
    tmpl_pages = entry_channel(tmpl_entry, "whatsapp")
    if not tmpl_pages:
        return ("\n".join(str(v) for v in values.values()),)
    return (tmpl_pages[0].format_map(Vars(tkey, values)),)


def resolve_items(raw: RawContent) -> None:
    for (org_slug, key), per_lang in raw.messages.items():
        for lang, entry in per_lang.items():
            wa = entry.get("whatsapp")
            if isinstance(wa, _ItemText):
                entry["whatsapp"] = _compose(raw, raw.orgs[org_slug], wa)  # type: ignore[index]

