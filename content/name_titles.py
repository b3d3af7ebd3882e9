"""The words that stand next to a person's name (name_titles.yaml), for taking names out of quotes."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

DEFAULT = Path(__file__).with_name("name_titles.yaml")


@dataclass(frozen=True)
class NameTitles:
    before: frozenset[str]  # a name follows
    after: frozenset[str]  # a name comes before
    not_names: frozenset[str]  # never the second word of a name


@lru_cache(maxsize=4)
def load(path: Path = DEFAULT) -> NameTitles:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}

    def words(side: str) -> frozenset[str]:
        return frozenset(str(w).casefold() for per_lang in (data.get(side) or {}).values() for w in per_lang or ())
    return NameTitles(words("before"), words("after"), words("not_names"))
