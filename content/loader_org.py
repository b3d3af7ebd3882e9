"""Load one organization's folder: org.yaml (with its offices), places.yaml, programmes.yaml and
guides.yaml (content/loader_items.py), messages.yaml (its own texts and overrides)."""
from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from content.loader_items import load_items
from content.raw import RawContent, add_message, read_yaml, rel_path, str_list, to_float
from content.types import PLACE_KINDS, Office, Organization, Place, Problem, normalize_number


def _outline(v: Any) -> tuple[tuple[tuple[float, float], ...] | None, str | None]:
    """A place's optional `outline`: a list of at least 3 [lat, lon] corners (the ring closes itself)."""
    if v is None:
        return None, None
    if not isinstance(v, list) or len(v) < 3:
        return None, "outline must be a list of at least 3 [lat, lon] corners"
    corners = []
    for corner in v:
        if not isinstance(corner, list) or len(corner) != 2:
            return None, "each outline corner must be [lat, lon]"
        lat, lon = to_float(corner[0]), to_float(corner[1])
        if lat is None or lon is None:
            return None, "outline corners must be numbers"
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return None, "outline corner out of range"
        corners.append((lat, lon))
    return tuple(corners), None


def _names(v: Any) -> dict[str, list[str]] | None:
    if not isinstance(v, dict):
        return None
    out = {}
    for lang, names in v.items():
        if isinstance(names, str):
            names = [names]
        nl = str_list(names)
        if not nl:
            return None
        out[str(lang)] = nl
    return out


def _lang_str(v: Any) -> dict[str, str] | None:
    if v is None:
        return {}
    if isinstance(v, dict) and all(isinstance(x, str) for x in v.values()):
        return {str(k): x for k, x in v.items()}
    return None


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # ValueError: "../x" or ""; OSError: "Africa"
        return False
    return True


def load_org(raw: RawContent, org_dir: Path) -> None:
    root, P = raw.root, raw.problems
    f = org_dir / "org.yaml"
    rel = rel_path(f, root)
    data = read_yaml(f, P, root)
    if not isinstance(data, dict):
        if data is not None:
            P.append(Problem(rel, message="must be a mapping"))
        return
    slug = data.get("slug", org_dir.name)
    if slug != org_dir.name:
        P.append(Problem(rel, "slug", message=f"slug {slug!r} must equal its folder name {org_dir.name!r}"))
    bad = []
    lists = {}
    for name in ("numbers", "cities", "languages", "organizers"):
        lists[name] = str_list(data.get(name))
        if lists[name] is None:
            bad.append(name)
    for name in ("name", "default_language"):
        if not isinstance(data.get(name), str) or not data.get(name):
            bad.append(name)
    if not isinstance(data.get("demo", False), bool):
        bad.append("demo")
    if not isinstance(data.get("public_results", False), bool):
        P.append(Problem(rel, "public_results", message="must be true or false (the public results page; "
                                                         "false when left out)"))
    tz_name = data.get("timezone")
    if not isinstance(tz_name, str) or not _is_zone(tz_name):
        P.append(Problem(rel, "timezone", message=f"must be an IANA time zone like Africa/Nairobi, not {tz_name!r}"))
        tz_name = "UTC"
    retention = data.get("retention") or {}
    days = {}
    for name, default in (("messages_days", 90), ("media_days", 180)):
        value = retention.get(name, default) if isinstance(retention, dict) else None
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            P.append(Problem(rel, f"retention.{name}", message="must be a whole number of days, at least 1"))
            value = default
        days[name] = value
    if bad:
        for name in bad:
            P.append(Problem(rel, name, message="missing or of the wrong type"))
        return
    menu_languages = str_list(data.get("menu_languages", lists["languages"])) or lists["languages"]
    trades = str_list(data.get("trades", [])) or []
    description = _lang_str(data.get("description"))
    if description is None:
        P.append(Problem(rel, "description", message="must map language -> text"))
        description = {}
    org = Organization(
        slug=slug,
        name=data["name"],
        numbers=[normalize_number(n) for n in lists["numbers"]],
        cities=lists["cities"],
        languages=lists["languages"],
        default_language=data["default_language"],
        organizers=[normalize_number(n) for n in lists["organizers"]],
        demo=data.get("demo", False),
        short_name=str(data.get("short_name") or data["name"]),
        menu_languages=menu_languages,
        trades=trades,
        confirm_commands=data.get("confirm_commands", False) is True,
        description=MappingProxyType(description),
        timezone=tz_name,
        retention_messages_days=days["messages_days"],
        retention_media_days=days["media_days"],
        public_results=data.get("public_results", False) is True,
    )
    raw.orgs[slug] = org
    raw.org_files[slug] = rel

    # offices (inside org.yaml)
    offices = []
    for i, o in enumerate(data.get("offices") or []):
        oid = o.get("id") if isinstance(o, dict) else None
        key = f"offices[{i}]" + (f" {oid}" if oid else "")
        if not isinstance(o, dict) or not isinstance(oid, str):
            P.append(Problem(rel, key, message="an office needs an id"))
            continue
        names, address, hours = _lang_str(o.get("names")), _lang_str(o.get("address")), _lang_str(o.get("hours"))
        if not names or address is None or hours is None or not isinstance(o.get("city"), str):
            P.append(Problem(rel, key, message="an office needs city, names/address/hours per language"))
            continue
        offices.append(Office(oid, slug, o["city"], names, address, hours, to_float(o.get("lat")), to_float(o.get("lon"))))
    raw.offices[slug] = offices

    # places.yaml
    f = org_dir / "places.yaml"
    rel_p = rel_path(f, root)
    places: list[Place] = []
    pdata = read_yaml(f, P, root) if f.exists() else {"places": []}
    for i, p in enumerate((pdata or {}).get("places") or [] if isinstance(pdata, dict) else []):
        pid = p.get("id") if isinstance(p, dict) else None
        key = f"places[{i}]" + (f" {pid}" if pid else "")
        if not isinstance(p, dict) or not isinstance(pid, str):
            P.append(Problem(rel_p, key, message="a place needs an id"))
            continue
        names = _names(p.get("names"))
        lat, lon = to_float(p.get("lat")), to_float(p.get("lon"))
        problems = []
        if not names:
            problems.append("names must map language -> non-empty list of names")
        if p.get("kind") not in PLACE_KINDS:
            problems.append(f"kind {p.get('kind')!r} is not one of {', '.join(PLACE_KINDS)}")
        if not isinstance(p.get("city"), str):
            problems.append("city missing")
        if (p.get("lat") is not None and lat is None) or (p.get("lon") is not None and lon is None):
            problems.append("lat/lon must be numbers")
        if lat is not None and not -90 <= lat <= 90 or lon is not None and not -180 <= lon <= 180:
            problems.append("lat/lon out of range")
        outline, outline_problem = _outline(p.get("outline"))
        if outline_problem:
            problems.append(outline_problem)
        if problems:
            for m in problems:
                P.append(Problem(rel_p, key, message=m))
            continue
        places.append(Place(pid, p["kind"], p["city"], names, lat, lon, slug, outline))  # type: ignore[arg-type]
    raw.places[slug] = places

    # programmes.yaml / guides.yaml
    for fname, kind in (("programmes.yaml", "programme"), ("guides.yaml", "guide")):
        f = org_dir / fname
        if not f.exists():
            raw.programmes.setdefault(slug, []) if kind == "programme" else raw.guides.setdefault(slug, [])
            continue
        load_items(raw, org, f, kind)

    # messages.yaml: org-specific texts/overrides, key -> lang -> entry
    f = org_dir / "messages.yaml"
    if f.exists():
        data = read_yaml(f, P, root)
        rel_m = rel_path(f, root)
        if isinstance(data, dict):
            for key, per_lang in data.items():
                if not isinstance(per_lang, dict):
                    P.append(Problem(rel_m, str(key), message="must map language -> text"))
                    continue
                for lang, value in per_lang.items():
                    add_message(raw, slug, str(key), str(lang), value, rel_m)
        elif data is not None:
            P.append(Problem(rel_m, message="must map key -> language -> text"))

