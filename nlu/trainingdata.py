"""Read Rasa NLU YAML (training data format 3.x) without Rasa: intents, examples, entity annotations."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import yaml

NLU_DIR = Path(__file__).resolve().parent
DATA_DIR = NLU_DIR / "data"

_ANNOT = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<entity>[^)]+)\)|(?P<json>\{[^}]*\}))")


@dataclass(frozen=True)
class Annotated:
    entity: str
    text: str
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[Annotated, ...] = field(default=())
    source: str = ""


def strip_annotations(raw: str) -> tuple[str, tuple[Annotated, ...]]:
    out: list[str] = []
    ents: list[Annotated] = []
    pos = 0
    length = 0
    for m in _ANNOT.finditer(raw):
        before = raw[pos:m.start()]
        out.append(before)
        length += len(before)
        text = m.group("text")
        if m.group("entity"):
            entity, _, value = m.group("entity").partition(":")
            value = value or text
        else:
            meta = json.loads(m.group("json"))
            entity, value = meta["entity"], meta.get("value", text)
        ents.append(Annotated(entity, text, value, length, length + len(text)))
        out.append(text)
        length += len(text)
        pos = m.end()
    out.append(raw[pos:])
    return "".join(out), tuple(ents)


def _lines(block: str | None) -> Iterable[str]:
    for line in (block or "").splitlines():
        s = line.strip()
        if s.startswith("- "):
            s = s[2:].strip()
            if s:
                yield s


def load_file(path: str | Path) -> list[Example]:
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    examples = []
    for item in doc.get("nlu") or []:
        if "intent" not in item:
            continue
        intent = str(item["intent"])
        for raw in _lines(item.get("examples")):
            text, ents = strip_annotations(raw)
            examples.append(Example(text, intent, ents, str(path)))
    return examples


def training_files(data_dir: str | Path = DATA_DIR) -> list[Path]:
    return sorted(p for p in Path(data_dir).glob("*.yml") if p.name != "lookups.yml")


def load_training(data_dir: str | Path = DATA_DIR) -> list[Example]:
    out: list[Example] = []
    for p in training_files(data_dir):
        out.extend(load_file(p))
    return out


def write_nlu_yaml(examples: Iterable[Example], path: str | Path) -> None:
    """Write examples (with entity annotations) as a Rasa NLU YAML file."""
    by_intent: dict[str, list[str]] = {}
    for ex in examples:
        raw = ex.text
        for a in sorted(ex.entities, key=lambda a: a.start, reverse=True):
            ann = f"[{raw[a.start:a.end]}]({a.entity})"
            raw = raw[:a.start] + ann + raw[a.end:]
        by_intent.setdefault(ex.intent, []).append(raw)
    lines = ['version: "3.1"', "nlu:"]
    for intent, raws in by_intent.items():
        lines.append(f"- intent: {intent}")
        lines.append("  examples: |")
        lines.extend(f"    - {r}" for r in raws)
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
