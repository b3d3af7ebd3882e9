"""TF-IDF + linear SVM intent classifier that runs after DIETClassifier and averages the two rankings.

Trained by Rasa itself (``rasa train`` and every fold of ``rasa test nlu --cross-validation``) on the raw
texts of the training examples: char_wb 1-5 + word 1-2 TF-IDF (the same features as nlu/fallback.py) ->
LinearSVC; its margins become probabilities by a softmax whose temperature is fitted on out-of-fold margins
of the training data (temperature scaling, minimum log-loss). At parse time

    p(intent) = diet_weight * DIET's confidence + (1 - diet_weight) * this model's probability

and the component sets ``intent`` and ``intent_ranking`` (the full ranking, or ``ranking_length``
entries). FallbackClassifier must come after it. The fitted vocabularies, idf weights, SVM coefficients and
temperature are stored in Rasa's model storage as JSON + .npy (no pickle).
"""

from __future__ import annotations

import json
import logging
import warnings
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from nlu.entities import normalize

logger = logging.getLogger(__name__)

_WORD = r"(?u)[\w\u0900-\u097f]+"
_TEMPERATURES = np.exp(np.linspace(np.log(0.5), np.log(50.0), 60))


def _vectorizers(cfg: Dict[Text, Any]) -> Dict[str, TfidfVectorizer]:
    return {
        "char": TfidfVectorizer(analyzer="char_wb", ngram_range=tuple(cfg["char_ngrams"]),
                                preprocessor=normalize, sublinear_tf=True),
        "word": TfidfVectorizer(analyzer="word", ngram_range=tuple(cfg["word_ngrams"]),
                                preprocessor=normalize, token_pattern=_WORD, sublinear_tf=True),
    }


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(scores)
    return e / e.sum(axis=1, keepdims=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class TfidfEnsembleClassifier(IntentClassifier, GraphComponent):
    """Char/word TF-IDF + LinearSVC, temperature-calibrated, averaged with the previous classifier's ranking."""

    @staticmethod
    def required_packages() -> List[Text]:
        return ["sklearn"]

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {
            "char_ngrams": [1, 5],
            "word_ngrams": [1, 2],
            "C": 1.0,
            # weight of the ranking already on the message (DIET's); 0 = this model alone
            "diet_weight": 0.5,
            # out-of-fold margins used to fit the softmax temperature
            "calibration_folds": 3,
            # 0 = full ranking
            "ranking_length": 0,
            "random_seed": 42,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.vectorizers: Optional[Dict[str, TfidfVectorizer]] = None
        self.coef: Optional[np.ndarray] = None
        self.intercept: Optional[np.ndarray] = None
        self.classes: List[Text] = []
        self.temperature: float = 1.0

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "TfidfEnsembleClassifier":
        return cls(config, model_storage, resource)

    # ------------------------------------------------------------------ training
    def _fit(self, texts: List[Text], labels: List[Text]):
        vecs = _vectorizers(self.config)
        from scipy.sparse import hstack

        X = hstack([vecs["char"].fit_transform(texts), vecs["word"].fit_transform(texts)]).tocsr()
        clf = LinearSVC(C=self.config["C"], random_state=self.config["random_seed"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # ConvergenceWarning on small data is harmless
            clf.fit(X, labels)
        return vecs, clf

    def _fit_temperature(self, texts: List[Text], labels: List[Text]) -> float:
        """Temperature minimising the log-loss of softmax(T * margins) on out-of-fold margins."""
        y = np.asarray(labels)
        _, counts = np.unique(y, return_counts=True)
        folds = min(int(self.config["calibration_folds"]), int(counts.min()))
        if folds < 2:
            return 4.0
        t_arr = np.asarray(texts, dtype=object)
        margins, gold = [], []
        skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.config["random_seed"])
        for tr, te in skf.split(t_arr, y):
            vecs, clf = self._fit(list(t_arr[tr]), list(y[tr]))
            m = self._margins(vecs, clf.coef_, clf.intercept_, list(t_arr[te]))
            # classes of the fold model equal the full model's (every class has >= folds examples)
            margins.append(m)
            gold.append(np.searchsorted(clf.classes_, y[te]))
        M, g = np.vstack(margins), np.concatenate(gold)
        losses = [-np.log(_softmax(t * M)[np.arange(len(g)), g] + 1e-12).mean() for t in _TEMPERATURES]
        return float(_TEMPERATURES[int(np.argmin(losses))])

    @staticmethod
    def _margins(vecs, coef, intercept, texts: List[Text]) -> np.ndarray:
        from scipy.sparse import hstack

        X = hstack([vecs["char"].transform(texts), vecs["word"].transform(texts)]).tocsr()
        m = X @ coef.T + intercept
        if m.ndim == 1 or m.shape[1] == 1:  # binary LinearSVC: one margin column
            m = np.column_stack([-np.ravel(m), np.ravel(m)])
        return np.asarray(m)

    def train(self, training_data: TrainingData) -> Resource:
        examples = [e for e in training_data.intent_examples if e.get(TEXT) is not None]
        texts = [e.get(TEXT) for e in examples]
        labels = [e.get(INTENT) for e in examples]
        if len(set(labels)) < 2:
            logger.debug("TfidfEnsembleClassifier: fewer than two intents, not trained")
            return self._resource
        self.temperature = self._fit_temperature(texts, labels)
        vecs, clf = self._fit(texts, labels)
        self.vectorizers = vecs
        coef = clf.coef_
        intercept = clf.intercept_
        if coef.shape[0] == 1:  # binary: store both columns so scoring is uniform
            coef = np.vstack([-coef[0], coef[0]])
            intercept = np.array([-intercept[0], intercept[0]])
        self.coef, self.intercept = coef, intercept
        self.classes = [str(c) for c in clf.classes_]
        logger.debug(f"TfidfEnsembleClassifier: {len(texts)} examples, {len(self.classes)} intents, "
                     f"temperature {self.temperature:.2f}")
        self.persist()
        return self._resource

    # ------------------------------------------------------------------ inference
    def predict_proba(self, texts: List[Text]) -> np.ndarray:
        assert self.vectorizers is not None and self.coef is not None
        return _softmax(self.temperature * self._margins(self.vectorizers, self.coef, self.intercept, texts))

    def process(self, messages: List[Message]) -> List[Message]:
        if self.vectorizers is None or not messages:
            return messages
        proba = self.predict_proba([m.get(TEXT) or "" for m in messages])
        w = float(self.config["diet_weight"])
        for message, row in zip(messages, proba):
            combined = {name: (1.0 - w) * float(p) for name, p in zip(self.classes, row)}
            previous = message.get(INTENT_RANKING_KEY) or []
            if previous and w > 0:
                for entry in previous:
                    name = entry.get("name")
                    if name is not None:
                        combined[name] = combined.get(name, 0.0) + w * float(entry.get("confidence") or 0.0)
            else:  # nothing to combine with: this model alone
                combined = {name: float(p) for name, p in zip(self.classes, row)}
            ranking = [{"name": k, "confidence": v}
                       for k, v in sorted(combined.items(), key=lambda kv: -kv[1])]
            message.set(INTENT, dict(ranking[0]), add_to_output=True)
            if self.config["ranking_length"] and self.config["ranking_length"] > 0:
                ranking = ranking[: self.config["ranking_length"]]
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data  # training examples keep their gold intents

    # ------------------------------------------------------------------ storage
    def persist(self) -> None:
        assert self.vectorizers is not None and self.coef is not None
        with self._model_storage.write_to(self._resource) as model_dir:
            meta = {
                "classes": self.classes,
                "temperature": self.temperature,
                "vocabulary": {k: {t: int(i) for t, i in v.vocabulary_.items()}
                               for k, v in self.vectorizers.items()},
            }
            (model_dir / "tfidf_ensemble.json").write_text(json.dumps(meta, ensure_ascii=False),
                                                          encoding="utf-8")
            np.save(model_dir / "coef.npy", self.coef)
            np.save(model_dir / "intercept.npy", self.intercept)
            for k, v in self.vectorizers.items():
                np.save(model_dir / f"idf_{k}.npy", v.idf_)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "TfidfEnsembleClassifier":
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as model_dir:
                meta = json.loads((model_dir / "tfidf_ensemble.json").read_text(encoding="utf-8"))
                coef = np.load(model_dir / "coef.npy")
                intercept = np.load(model_dir / "intercept.npy")
                vecs = _vectorizers(component.config)
                for k, v in vecs.items():
                    v.vocabulary_ = meta["vocabulary"][k]
                    v.idf_ = np.load(model_dir / f"idf_{k}.npy")
        except (ValueError, FileNotFoundError):
            logger.debug(f"TfidfEnsembleClassifier: nothing stored in '{resource.name}', untrained")
            return component
        component.vectorizers = vecs
        component.coef, component.intercept = coef, intercept
        component.classes = meta["classes"]
        component.temperature = float(meta["temperature"])
        return component
