"""In-process intent matcher trained from the Rasa training YAML; answers when Rasa cannot.

Character n-gram TF-IDF (char_wb, 1-5) + word uni/bigram TF-IDF -> linear SVM, trained on
nlu/data/*.yml at start-up (well under a second). Entities: gazetteer places (fuzzy, rapidfuzz) and the
keyword tables of nlu/entities.py. Needs only scikit-learn, rapidfuzz and pyyaml - no Rasa.

    from nlu.fallback import FallbackMatcher
    matcher = FallbackMatcher.load()
    matcher.parse("is gikomb opn 2moro", org="nairobi-vendors")
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from nlu import entities as kw
from nlu.gazetteer import Gazetteer
from nlu.trainingdata import DATA_DIR, Example, load_training
from nlu.types import Entity, NluResult

_WORD = r"(?u)[\w\u0900-\u097f]+"


@dataclass(frozen=True)
class Params:
    char_ngrams: tuple[int, int] = (1, 5)
    word_ngrams: tuple[int, int] = (1, 2)
    C: float = 1.0
    temperature: float = 4.0  # softmax(temperature * SVM margins) -> confidences
    threshold: float = 0.0  # below this top confidence -> out_of_scope
    min_confidence: float = 0.25  # the client trusts this matcher over Rasa's nlu_fallback above this


def _features(p: Params) -> FeatureUnion:
    return FeatureUnion([
        ("char", TfidfVectorizer(analyzer="char_wb", ngram_range=p.char_ngrams, preprocessor=kw.normalize,
                                 sublinear_tf=True, min_df=1)),
        ("word", TfidfVectorizer(analyzer="word", ngram_range=p.word_ngrams, preprocessor=kw.normalize,
                                 token_pattern=_WORD, sublinear_tf=True, min_df=1)),
    ])


class FallbackMatcher:
    def __init__(self, params: Params | None = None, gazetteer: Gazetteer | None = None):
        self.params = params or Params()
        self.gazetteer = gazetteer if gazetteer is not None else Gazetteer([])
        self.pipeline: Pipeline | None = None
        self.classes: list[str] = []

    # ---- training
    @classmethod
    def load(cls, data_dir: str | Path = DATA_DIR, gazetteer: Gazetteer | None = None,
             params: Params | None = None) -> "FallbackMatcher":
        m = cls(params, gazetteer if gazetteer is not None else Gazetteer.load())
        return m.fit(load_training(data_dir))

    def fit(self, examples: Sequence[Example]) -> "FallbackMatcher":
        texts = [e.text for e in examples]
        labels = [e.intent for e in examples]
        pipe = Pipeline([
            ("features", _features(self.params)),
            ("clf", LinearSVC(C=self.params.C)),
        ])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning on tiny folds is harmless here
            pipe.fit(texts, labels)
        self.pipeline = pipe
        self.classes = [str(c) for c in pipe.classes_]
        return self

    @property
    def min_confidence(self) -> float:
        return self.params.min_confidence

    # ---- inference
    def _proba(self, texts: list[str]) -> np.ndarray:
        assert self.pipeline is not None
        scores = np.atleast_2d(self.pipeline.decision_function(texts)) * self.params.temperature
        scores -= scores.max(axis=1, keepdims=True)
        e = np.exp(scores)
        return e / e.sum(axis=1, keepdims=True)

    def rank(self, text: str) -> list[tuple[str, float]]:
        if self.pipeline is None or not text.strip():
            return [("out_of_scope", 0.0)]
        proba = self._proba([text])[0]
        order = np.argsort(-proba)
        return [(self.classes[i], float(proba[i])) for i in order[:10]]

    def predict(self, text: str) -> tuple[str, float]:
        ranking = self.rank(text)
        intent, conf = ranking[0]
        if conf < self.params.threshold:
            return "out_of_scope", conf
        return intent, conf

    def predict_many(self, texts: Iterable[str]) -> list[str]:
        assert self.pipeline is not None
        texts = list(texts)
        proba = self._proba(texts)
        out = []
        for row in proba:
            i = int(np.argmax(row))
            out.append(self.classes[i] if row[i] >= self.params.threshold else "out_of_scope")
        return out

    def parse(self, text: str, org: str | None = None) -> NluResult:
        ranking = self.rank(text)
        intent, conf = self.predict(text)
        return NluResult(intent, conf, ranking, extract_entities(text, org, self.gazetteer), "fallback")


def extract_entities(text: str, org: str | None, gazetteer: Gazetteer) -> list[Entity]:
    """Gazetteer places (fuzzy) + dates, incident types and trades from the keyword tables."""
    found: list[Entity] = []
    for m in gazetteer.find(text, org=org):
        found.append(Entity(m.place.entity, m.place.id, m.place.id, m.start, m.end, m.text))
    for s in kw.extract(text):
        if any(s.start < e.end and e.start < s.end for e in found):
            continue  # a place name wins over a keyword inside it
        found.append(Entity(s.type, s.value, None, s.start, s.end, s.text))
    return sorted(found, key=lambda e: (e.start, e.end))


_default: FallbackMatcher | None = None
_lock = threading.Lock()


def default_matcher() -> FallbackMatcher:
    """Process-wide matcher, trained on first use."""
    global _default
    with _lock:
        if _default is None:
            _default = FallbackMatcher.load()
        return _default
