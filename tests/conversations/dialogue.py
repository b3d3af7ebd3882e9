"""Scenario files (scenarios/*.yaml) loaded, played through the real app, and checked.

A file holds defaults and a list of scenarios:

    org: nairobi-vendors        # content/orgs/<slug>
    lang: sw                    # the persona's language (a returning worker when not the org default)
    channel: sms                # sms | whatsapp
    scenarios:
      - name: report-words-anonymous
        about: one line saying what the scenario proves
        persona: {phone: "+254711200001", organizer: false, member: {name: Amina, trade: vendor, place: nbo.toi}}
        turns:
          - send: "polisi wamechukua bidhaa zangu gikomba leo"
            asks: report.anonymous      # flow.state now open, "none" when no form, a list = any of them
            says: [ripoti]              # substrings (case/accent-insensitive); not_says likewise
            lang: sw                    # language of the reply (distinctive content words)
            key: report.anonymous       # the reply contains this content key's text ({vars} = anything)
            segments: 1                 # SMS: every reply fits one segment
          - send: "ndiyo"
            ref: true                   # a reference R-1234 in the reply
          - resend: true                # the previous message again, same MessageSid
            no_reply: true
        stored:
          inbound: 2
          report: {category: confiscation, place: nbo.gikomba, anonymous: true, description_has: [polisi]}

A turn sends `send` (text, "" for empty), `pin: [lat, lon]` (WhatsApp location), `photo: true`
(WhatsApp image at the local media server) or `resend: true`. See README.md in this folder.
"""
from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml
from sqlalchemy import func, select

from content.sms import segment_info

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "scenarios"
CONTENT = HERE.parent.parent / "content"
LANGUAGES = ("en", "sw", "hi", "fr", "es")

FILE_KEYS = {"org", "lang", "channel", "scenarios"}
SCENARIO_KEYS = {"name", "about", "persona", "turns", "stored", "backends"}
PERSONA_KEYS = {"phone", "channel", "lang", "organizer", "member", "profile_name", "new"}
SEND_KEYS = {"send", "pin", "photo", "resend", "note"}
EXPECT_KEYS = {"asks", "says", "says_any", "not_says", "lang", "key", "not_key", "segments", "ref", "no_reply", "menu"}
STORED_KEYS = {"inbound", "reports", "report", "members", "member", "market", "markets", "contact"}
REF = re.compile(r"\bR-?\d{3,6}\b")
# The forms of the issue; other flows are lists offered as answers (guides, markets), not forms.
FORMS = ("report", "membership", "language")


class ScenarioError(ValueError):
    """A scenario file that does not follow the format (a typo in a key, a missing org)."""


@dataclass
class Scenario:
    file: str
    name: str
    org: str
    about: str
    persona: dict
    turns: list[dict]
    stored: dict
    backends: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.file}:{self.name}"

    @property
    def lang(self) -> str:
        return self.persona["lang"]

    @property
    def channel(self) -> str:
        return self.persona["channel"]


def _check_keys(where: str, given: dict, allowed: set[str]) -> None:
    unknown = set(given) - allowed
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {sorted(unknown)} (allowed: {sorted(allowed)})")


def load(directory: Path = SCENARIOS) -> list[Scenario]:
    out: list[Scenario] = []
    seen: set[str] = set()
    for path in sorted(directory.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        _check_keys(path.name, data, FILE_KEYS)
        if "org" not in data:
            raise ScenarioError(f"{path.name}: no org")
        for i, raw in enumerate(data.get("scenarios") or []):
            where = f"{path.name} scenario {i + 1}"
            _check_keys(where, raw, SCENARIO_KEYS)
            name = raw.get("name") or f"s{i + 1}"
            persona = dict(raw.get("persona") or {})
            _check_keys(f"{where} persona", persona, PERSONA_KEYS)
            persona.setdefault("lang", data.get("lang"))
            persona.setdefault("channel", data.get("channel", "sms"))
            for j, turn in enumerate(raw.get("turns") or []):
                _check_keys(f"{where} turn {j + 1}", turn, SEND_KEYS | EXPECT_KEYS)
                if not SEND_KEYS & set(turn):
                    raise ScenarioError(f"{where} turn {j + 1}: nothing to send (send/pin/photo/resend)")
            _check_keys(f"{where} stored", raw.get("stored") or {}, STORED_KEYS)
            scenario = Scenario(path.stem, name, data["org"], raw.get("about", ""), persona,
                                list(raw.get("turns") or []), dict(raw.get("stored") or {}),
                                tuple(raw.get("backends") or ("rasa", "fallback")))
            if scenario.id in seen:
                raise ScenarioError(f"two scenarios named {scenario.id}")
            seen.add(scenario.id)
            out.append(scenario)
    return out


# ----------------------------------------------------------------------------- text comparison
_QUOTES = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " "})


def norm(text: str) -> str:
    """Case-, accent- and whitespace-insensitive form of a text (the same on both sides of a check)."""
    text = unicodedata.normalize("NFKD", str(text))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", text.casefold().translate(_QUOTES)).strip()


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _words(text: str) -> set[str]:
    text = re.sub(r"\{[a-z_]+\}", " ", norm(text))
    return {w for w in re.findall(r"[^\W\d_]{3,}", text)}


@lru_cache(maxsize=1)
def distinctive_words() -> dict[str, frozenset[str]]:
    """Words of each language's content (system and organization texts) found in no other language's."""
    words: dict[str, set[str]] = {lang: set() for lang in LANGUAGES}
    for lang in LANGUAGES:
        data = yaml.safe_load((CONTENT / "messages" / f"{lang}.yaml").read_text(encoding="utf-8")) or {}
        for s in _strings(data):
            words[lang] |= _words(s)
    for path in sorted((CONTENT / "orgs").glob("*/messages.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for per_lang in data.values():
            if isinstance(per_lang, dict):
                for lang, value in per_lang.items():
                    if lang in words:
                        for s in _strings(value):
                            words[lang] |= _words(s)
    return {lang: frozenset(w - set().union(*(words[o] for o in LANGUAGES if o != lang)))
            for lang, w in words.items()}


def language_scores(text: str) -> dict[str, int]:
    found = _words(text)
    scores = {lang: len(found & words) for lang, words in distinctive_words().items()}
    scores["hi"] += 3 * len(re.findall(r"[\u0900-\u097f]+", text))
    return scores


def language_of(text: str) -> str | None:
    scores = language_scores(text)
    best = max(scores.values())
    winners = [lang for lang, score in scores.items() if score == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


def key_pattern(catalog, org: str, key: str, lang: str, channel: str) -> re.Pattern:
    """The first page of a content text as a pattern: literal text, any {variable} matches anything."""
    template = catalog.template(org, key, lang, channel)[0]
    parts = re.split(r"\{[a-z_]+\}", template)
    return re.compile(".*?".join(re.escape(norm(p)) for p in parts), re.S)


# ----------------------------------------------------------------------------- the dialogue record
@dataclass
class Step:
    sent: str
    replies: list[str]
    status: int
    state: str
    nlu: str = ""


@dataclass
class Transcript:
    scenario: Scenario
    backend: str
    steps: list[Step] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.failures.append(message)

    def render(self) -> str:
        s = self.scenario
        persona = s.persona
        who = "organizer" if persona.get("organizer") else ("member" if persona.get("member") else "worker")
        lines = [f"scenario {s.id} [{self.backend}] {s.about}".rstrip(),
                 f"persona: {who} {persona['phone']} on {persona['channel']}, language {persona['lang']}, "
                 f"org {s.org}"]
        for i, step in enumerate(self.steps, 1):
            lines.append(f"  {i}> {step.sent}")
            if step.status != 200:
                lines.append(f"     HTTP {step.status}")
            for reply in step.replies or ["(no reply)"]:
                for k, line in enumerate(reply.splitlines() or [""]):
                    lines.append(f"  {i}{'<' if k == 0 else ' '} {line}")
            lines.append(f"     state: {step.state}" + (f"   nlu: {step.nlu}" if step.nlu else ""))
        return "\n".join(lines)

    def report(self) -> str:
        return (f"{self.render()}\nFIRST FAILED EXPECTATION: {self.failures[0]}"
                + (f"\n(and {len(self.failures) - 1} more: " + " | ".join(self.failures[1:4]) + ")"
                   if len(self.failures) > 1 else ""))


# ----------------------------------------------------------------------------- playing a scenario
class Player:
    """Plays one scenario through a `Line` (services + Flask test client, see conftest.py)."""

    def __init__(self, line, scenario: Scenario, backend: str, media_url: str):
        from tests.conftest import Phone

        self.line, self.s, self.backend, self.media_url = line, scenario, backend, media_url
        self.services = line.services
        self.catalog = line.services.catalog
        self.org = self.catalog.organizations[scenario.org]
        p = scenario.persona
        if p.get("organizer") and not p.get("phone"):
            p["phone"] = self.org.organizers[0]
        if not p.get("phone"):
            raise ScenarioError(f"{scenario.id}: persona needs a phone")
        self.phone = Phone(line.client, p["phone"], p["channel"], self.org.numbers[0])
        self.t = Transcript(scenario, backend)
        self.last_form: dict | None = None
        self.photos = 0

    # --- setup
    def prepare(self) -> None:
        """A returning worker: the contact row with the persona's language, and a member row if any."""
        p = self.s.persona
        if p.get("new") or (p["lang"] == self.org.default_language and not p.get("member")):
            return  # a first-time texter: the line knows nothing of them
        from bot.line import members
        from bot.models import Contact

        with self.services.db.begin() as session:
            contact = Contact(organization=self.s.org, phone=p["phone"], language=p["lang"])
            session.add(contact)
            session.flush()
            contact_id = contact.id
        if p.get("member"):
            m = dict(p["member"])
            details = {"name": m.get("name", "Member"), "trade": m.get("trade", "vendor"),
                       "city": self.org.cities[0], "language": m.get("language", p["lang"])}
            if m.get("place"):
                details["place_id"] = m["place"]
            members.save_member(self.services, self.org, contact_id, details,
                                consent_version=members.CONSENT_VERSION)

    # --- the dialogue
    def play(self) -> Transcript:
        from tests.conftest import replies

        self.prepare()
        for i, turn in enumerate(self.s.turns, 1):
            form, shown = self._form(turn)
            response = self.phone.post(form)
            texts = replies(response.get_data(as_text=True)) if response.status_code == 200 else []
            self.last_form = form
            session = self._session()
            self.t.steps.append(Step(shown, texts, response.status_code, self._state_text(session),
                                     self._nlu(form["MessageSid"])))
            self._expect(i, turn, response.status_code, texts, session)
        self._stored()
        return self.t

    def _form(self, turn: dict) -> tuple[dict, str]:
        if turn.get("resend"):
            if self.last_form is None:
                raise ScenarioError(f"{self.s.id}: resend before anything was sent")
            return self.last_form, f"(resend of {self.last_form['MessageSid'][:10]}…) {self.last_form['Body']!r}"
        body = str(turn.get("send", "")) if turn.get("send") is not None else ""
        extra: dict = {}
        shown = repr(body) if body == "" or body.strip() != body else body
        if "pin" in turn:
            pin = turn["pin"]
            lat, lon = (pin["lat"], pin["lon"]) if isinstance(pin, dict) else pin
            extra.update(Latitude=lat, Longitude=lon)
            if isinstance(pin, dict):
                extra.update({k.capitalize(): v for k, v in pin.items() if k in ("address", "label")})
            shown = f"[location pin {lat},{lon}] {body}".rstrip()
        if turn.get("photo"):
            self.photos += 1
            ctype = turn["photo"] if isinstance(turn["photo"], str) else "image/jpeg"
            extra.update(NumMedia=1, MediaUrl0=f"{self.media_url}/ME{self.photos}", MediaContentType0=ctype)
            shown = f"[photo {ctype}] {body}".rstrip()
        return self.phone.form(body, **extra), shown

    def _session(self) -> dict | None:
        raw = self.services.redis.get(f"session:{self.s.org}:{self.s.persona['phone']}")
        return json.loads(raw) if raw else None

    @staticmethod
    def _form_open(session: dict | None, forms=FORMS) -> str | None:
        if session and session.get("flow") and (forms is None or session["flow"] in forms):
            return f"{session['flow']}.{session.get('state')}"
        return None

    def _state_text(self, session: dict | None) -> str:
        open_ = self._form_open(session)
        if open_ is None:
            return "no form" + (f" (list {self._form_open(session, None)})" if session else "")
        answers = {k: v for k, v in (session.get("answers") or {}).items()}
        return f"{open_} answers={json.dumps(answers, ensure_ascii=False)[:300]}"

    def _nlu(self, sid: str) -> str:
        from bot.models import InboundMessage

        with self.services.db() as session:
            row = session.scalars(select(InboundMessage).where(InboundMessage.provider_sid == sid)).first()
        if row is None or not row.nlu_intent:
            return ""
        return f"{row.nlu_intent} {row.nlu_confidence or 0:.2f} ({row.nlu_source})"

    # --- per-turn expectations
    def _expect(self, i: int, turn: dict, status: int, texts: list[str], session: dict | None) -> None:
        fail = lambda msg: self.t.fail(f"turn {i}: {msg}")  # noqa: E731
        if status != 200:
            fail(f"HTTP {status}, expected 200")
            return
        reply = "\n".join(texts)
        if turn.get("no_reply"):
            if texts:
                fail(f"expected no reply (duplicate), got {reply!r}")
        elif not texts and any(k in turn for k in ("says", "lang", "key", "ref", "segments", "menu")):
            fail("expected a reply, got none")
        if "asks" in turn:
            wanted = turn["asks"] if isinstance(turn["asks"], list) else [turn["asks"]]
            now = self._form_open(session)
            listed = self._form_open(session, None)  # "asks: registration.choose" may name a list too
            ok = any((w in (None, "none") and now is None) or (listed is not None and listed == w) or
                     (now is not None and (now == w or now.split(".")[0] == w)) for w in wanted)
            if not ok:
                fail(f"expected the conversation at {' or '.join(map(str, wanted))}, it is at {now or 'no form'}")
        n = norm(reply)
        for s in _list(turn.get("says")):
            if norm(s) not in n:
                fail(f"reply should mention {s!r}")
        any_of = _list(turn.get("says_any"))
        if any_of and not any(norm(s) in n for s in any_of):
            fail(f"reply should mention one of {any_of}")
        for s in _list(turn.get("not_says")):
            if norm(s) in n:
                fail(f"reply should not mention {s!r}")
        lang = turn.get("lang")
        keys = _list(turn.get("key")) + (["menu.main"] if turn.get("menu") else [])
        for key in keys:
            pattern = key_pattern(self.catalog, self.s.org, key, lang or self.s.lang, self.s.channel)
            if not pattern.search(n):
                fail(f"reply should contain the text of {key} ({lang or self.s.lang}/{self.s.channel})")
        for key in _list(turn.get("not_key")):
            pattern = key_pattern(self.catalog, self.s.org, key, lang or self.s.lang, self.s.channel)
            if pattern.search(n):
                fail(f"reply should not contain the text of {key}")
        if lang and texts:
            found = language_of(reply)
            if found != lang:
                fail(f"reply should be in {lang}, reads as {found or 'unclear'} {language_scores(reply)}")
        if "segments" in turn and self.s.channel == "sms":
            for text in texts:
                info = segment_info(text)
                if info.segments > int(turn["segments"]):
                    fail(f"reply takes {info.segments} SMS segments ({info.encoding}, {info.units} units), "
                         f"expected {turn['segments']}")
        if "ref" in turn:
            has = bool(REF.search(reply))
            if has != bool(turn["ref"]):
                fail("expected a report reference (R-1234) in the reply" if turn["ref"]
                     else "expected no report reference in the reply")

    # --- after the dialogue: what the database holds
    def _stored(self) -> None:
        from bot.models import Contact, InboundMessage, Member, Report
        from bot.models.live import MarketStatus

        st, org = self.s.stored, self.s.org
        fail = lambda msg: self.t.fail(f"stored: {msg}")  # noqa: E731
        with self.services.db() as db:
            inbound = db.scalars(select(InboundMessage).where(InboundMessage.organization == org)).all()
            if self.backend == "rasa" and any(r.nlu_source == "fallback" for r in inbound):
                fail("the Rasa backend fell back to the in-process matcher (Rasa slow or failing?)")
            if self.backend == "fallback" and any(r.nlu_source == "rasa" for r in inbound):
                fail("the fallback backend reached Rasa")
            if "inbound" in st and len(inbound) != st["inbound"]:
                fail(f"{len(inbound)} inbound rows, expected {st['inbound']}")
            reports = db.scalars(select(Report).where(Report.organization == org).order_by(Report.id)).all()
            if "reports" in st and len(reports) != st["reports"]:
                fail(f"{len(reports)} reports, expected {st['reports']}")
            if "report" in st:
                if not reports:
                    fail("no report stored")
                else:
                    self._check_report(reports[-1], st["report"], fail)
            found = db.scalars(select(Member).where(Member.organization == org).order_by(Member.id)).all()
            if "members" in st and len(found) != st["members"]:
                fail(f"{len(found)} members, expected {st['members']}")
            if "member" in st:
                if not found:
                    fail("no member stored")
                else:
                    self._check_fields("member", found[-1], st["member"], fail)
            statuses = db.scalars(select(MarketStatus).where(MarketStatus.organization == org)
                                  .order_by(MarketStatus.id)).all()
            if "markets" in st and len(statuses) != st["markets"]:
                fail(f"{len(statuses)} market status changes, expected {st['markets']}")
            if "market" in st:
                want = st["market"]
                rows = [r for r in statuses if r.place_id == want.get("place", r.place_id)]
                if not rows:
                    fail(f"no market status stored for {want.get('place')} "
                         f"(stored: {[(r.place_id, r.status) for r in statuses]})")
                else:
                    self._check_fields("market", rows[-1], want, fail)
            if "contact" in st:
                contact = db.scalars(select(Contact).where(Contact.organization == org,
                                                           Contact.phone == self.s.persona["phone"])).first()
                if contact is None:
                    fail("no contact row")
                else:
                    self._check_fields("contact", contact, st["contact"], fail)

    def _check_report(self, report, want: dict, fail) -> None:
        from bot.line import media
        from bot.models import ReportMedia

        self._check_fields("report", report, want, fail)
        if "media" in want or want.get("downloaded"):
            with self.services.db() as db:
                rows = db.scalars(select(ReportMedia).where(ReportMedia.report_id == report.id)
                                  .order_by(ReportMedia.id)).all()
            if "media" in want and len(rows) != want["media"]:
                fail(f"report has {len(rows)} attachments, expected {want['media']}")
            if want.get("downloaded"):
                for row in rows:
                    status = media.download(self.services, row.id, final=True)
                    if status != "stored":
                        fail(f"attachment {row.url} not downloaded from the media server: {status}")

    @staticmethod
    def _check_fields(what: str, row, want: dict, fail) -> None:
        for name, expected in want.items():
            if name in ("media", "downloaded"):
                continue
            if name.endswith("_has") or name.endswith("_not"):
                column = name[:-4]
                value = norm(getattr(row, column) or "")
                for s in _list(expected):
                    present = norm(s) in value
                    if present != name.endswith("_has"):
                        fail(f"{what}.{column} {'lacks' if name.endswith('_has') else 'has'} {s!r}: "
                             f"{getattr(row, column)!r}")
                continue
            column = {"place": "place_id", "until": "ends_at", "located": "latitude"}.get(name, name)
            value = getattr(row, column)
            if name in ("until", "located"):
                if (value is not None) != bool(expected):
                    fail(f"{what}.{column} is {value!r}, expected {'a value' if expected else 'none'}")
            elif value != expected:
                fail(f"{what}.{column} is {value!r}, expected {expected!r}")


def _list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else [value]


def count_rows(services, model) -> int:
    with services.db() as db:
        return db.scalar(select(func.count()).select_from(model))
