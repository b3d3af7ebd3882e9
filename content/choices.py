"""Option lists of the forms (content/choices.yaml): value and label together, so the numbered list a
worker sees and the words accepted as an answer come from one place and can never disagree."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from content.types import CHANNELS


@dataclass(frozen=True)
class ChoiceOption:
    value: str
    labels: Mapping[str, Mapping[str, str]]  # lang -> channel -> label
    words: Mapping[str, tuple[str, ...]]  # lang ("any" too) -> extra words

    def label(self, lang: str, channel: str, fallback: str = "en") -> str:
        per = self.labels.get(lang) or self.labels.get(fallback) or next(iter(self.labels.values()))
        return per.get(channel) or per["sms"]

    def answers(self, langs) -> set[str]:
        """Every label (both channels) and extra word of these languages."""
        out: set[str] = set(self.words.get("any", ()))
        for lang in langs:
            out.update(self.labels.get(lang, {}).values())
            out.update(self.words.get(lang, ()))
        return out


@dataclass(frozen=True)
class ChoiceList:
    name: str
    options: tuple[ChoiceOption, ...]
    yes: str | None = None  # the value the "yes" keyword group picks
    no: str | None = None
    values: tuple[str, ...] = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "values", tuple(o.value for o in self.options))

    def option(self, value: str) -> ChoiceOption:
        return next(o for o in self.options if o.value == value)


def _per_channel(value: Any) -> dict[str, str] | None:
    if isinstance(value, str):
        return {ch: value for ch in CHANNELS}
    if isinstance(value, dict) and set(value) <= set(CHANNELS) and value and all(isinstance(v, str) for v in value.values()):
        return {ch: value.get(ch) or value.get("sms") or value.get("whatsapp") for ch in CHANNELS}
    return None


def parse_choices(data: Any, problem) -> dict[str, ChoiceList]:
    """choices.yaml -> {name: ChoiceList}; `problem(key, lang, message)` records what is wrong."""
    out: dict[str, ChoiceList] = {}
    if not isinstance(data, dict):
        problem("", "", "must map list name -> {options: [...]}")
        return out
    for name, spec in data.items():
        options = spec.get("options") if isinstance(spec, dict) else None
        if not isinstance(options, list) or not options:
            problem(str(name), "", "needs a non-empty list of options")
            continue
        parsed = []
        for opt in options:
            value = opt.get("value") if isinstance(opt, dict) else None
            if not isinstance(value, str) or not isinstance(opt.get("label"), dict):
                problem(str(name), "", f"option {opt!r}: needs a string value and labels per language")
                continue
            labels = {}
            for lang, label in opt["label"].items():
                per = _per_channel(label)
                if per is None:
                    problem(f"{name}.{value}", str(lang), "label must be a string or {sms, whatsapp}")
                    continue
                labels[str(lang)] = MappingProxyType(per)
            words = {}
            for lang, ws in (opt.get("words") or {}).items():
                if not isinstance(ws, list) or not all(isinstance(w, str) for w in ws):
                    problem(f"{name}.{value}", str(lang), "words must be a list of strings (quote yes/no)")
                    continue
                words[str(lang)] = tuple(ws)
            parsed.append(ChoiceOption(value, MappingProxyType(labels), MappingProxyType(words)))
        values = {o.value for o in parsed}
        yes, no = spec.get("yes"), spec.get("no")
        for side, v in (("yes", yes), ("no", no)):
            if v is not None and v not in values:
                problem(str(name), "", f"{side}: {v!r} is not one of its option values")
        out[str(name)] = ChoiceList(str(name), tuple(parsed), yes, no)
    return out


def load_choices(root: Path, read_yaml, problems: list, problem_type) -> Mapping[str, ChoiceList]:
    f = root / "choices.yaml"
    if not f.exists():
        return MappingProxyType({})
    rel = "content/choices.yaml"
    data = read_yaml(f, problems, root)
    if data is None:
        return MappingProxyType({})
    return MappingProxyType(parse_choices(data, lambda key, lang, msg: problems.append(problem_type(rel, key, lang, msg))))
