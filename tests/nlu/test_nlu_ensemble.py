"""The trained Rasa model ranks intents with nlu.components.tfidf_ensemble.TfidfEnsembleClassifier.

The component (char_wb 1-5 + word 1-2 TF-IDF -> LinearSVC, softmax with a fitted temperature) runs after
DIETClassifier and ranks by ``w * DIET + (1 - w) * own probability``. These tests read the model Rasa
trained (nlu/models/, `make nlu-train`): the pipeline order in its metadata, the component's stored arrays,
and - against the real server - that every confidence Rasa returns lies where that formula puts it given
the component's own probability, recomputed here from the stored arrays (DIET's share is in [0, w]).
"""
from __future__ import annotations

import io
import json
import tarfile

import numpy as np
import pytest
import requests

from nlu.fallback import Params, _features
from nlu.train import model_path
from nlu.types import INTENTS as TYPES_INTENTS

pytestmark = [pytest.mark.rasa, pytest.mark.slow, pytest.mark.timeout(400)]

COMPONENT = "nlu.components.tfidf_ensemble.TfidfEnsembleClassifier"
INTENTS = set(TYPES_INTENTS)


@pytest.fixture(scope="module")
def model():
    path = model_path()
    if not path.exists():
        pytest.fail(f"{path} missing: run `make nlu-train`", pytrace=False)
    files: dict[str, bytes] = {}
    with tarfile.open(path, "r:gz") as tar:
        for m in tar.getmembers():
            name = m.name.lstrip("/")
            if m.isfile() and (name == "metadata.json" or "TfidfEnsembleClassifier" in name):
                files[name] = tar.extractfile(m).read()
    return files


def _stored(model: dict[str, bytes], suffix: str) -> bytes:
    found = [v for k, v in model.items() if "TfidfEnsembleClassifier" in k and k.endswith(suffix)]
    assert len(found) == 1, f"component file *{suffix} not in the model: {sorted(model)}"
    return found[0]


def _node_config(model) -> dict:
    nodes = json.loads(model["metadata.json"])["predict_schema"]["nodes"]
    found = [n for n in nodes.values() if n["uses"] == COMPONENT]
    assert len(found) == 1
    return found[0]["config"]


def test_pipeline_runs_the_ensemble_after_diet_and_before_the_fallback_classifier(model):
    nodes = json.loads(model["metadata.json"])["predict_schema"]["nodes"]
    uses = [n["uses"] for n in nodes.values()]
    diet = uses.index("rasa.nlu.classifiers.diet_classifier.DIETClassifier")
    ens = uses.index(COMPONENT)
    fallback = uses.index("rasa.nlu.classifiers.fallback_classifier.FallbackClassifier")
    assert diet < ens < fallback
    # and it was trained: vocabularies, idf weights and one SVM row per intent are in the model
    meta = json.loads(_stored(model, "tfidf_ensemble.json"))
    assert set(meta["classes"]) == INTENTS
    assert len(meta["vocabulary"]["char"]) > 1000 and len(meta["vocabulary"]["word"]) > 1000
    coef = np.load(io.BytesIO(_stored(model, "coef.npy")))
    assert coef.shape[0] == len(INTENTS)
    assert 0.0 < _node_config(model)["diet_weight"] < 1.0


def _component_proba(model, texts: list[str]) -> tuple[list[str], np.ndarray]:
    """The component's own probabilities, recomputed from its stored arrays with the fallback's features."""
    meta = json.loads(_stored(model, "tfidf_ensemble.json"))
    union = _features(Params())
    for key, vec in union.transformer_list:
        vec.vocabulary_ = meta["vocabulary"][key]
        vec.idf_ = np.load(io.BytesIO(_stored(model, f"idf_{key}.npy")))
    from scipy.sparse import hstack

    X = hstack([vec.transform(texts) for _, vec in union.transformer_list]).tocsr()
    coef = np.load(io.BytesIO(_stored(model, "coef.npy")))
    intercept = np.load(io.BytesIO(_stored(model, "intercept.npy")))
    s = meta["temperature"] * np.asarray(X @ coef.T + intercept)
    s -= s.max(axis=1, keepdims=True)
    p = np.exp(s)
    return meta["classes"], p / p.sum(axis=1, keepdims=True)


TEXTS = ["is gikomba opn 2moro", "polisi wamechukua bidhaa zangu", "la feria de tristan narvaja abre el domingo?",
         "kal mandi khulegi kya", "ou est l'aide alimentaire", "police closed our market today", "STOP", "asante sana"]


def test_parse_ranking_is_the_weighted_average_of_diet_and_the_component(rasa_server, model):
    w = _node_config(model)["diet_weight"]
    classes, proba = _component_proba(model, TEXTS)
    for text, own in zip(TEXTS, proba):
        r = requests.post(f"{rasa_server.url}/model/parse", params={"token": rasa_server.token},
                          json={"text": text}, timeout=30)
        r.raise_for_status()
        body = r.json()
        ranking = {e["name"]: e["confidence"] for e in body["intent_ranking"] if e["name"] != "nlu_fallback"}
        assert set(ranking) == INTENTS, text  # the full ranking, every intent
        assert sum(ranking.values()) == pytest.approx(1.0, abs=1e-3), text
        for name, p in zip(classes, own):
            # (1 - w) * p  <=  confidence  <=  (1 - w) * p + w   (DIET contributes w * [0, 1])
            assert (1 - w) * p - 1e-4 <= ranking[name] <= (1 - w) * p + w + 1e-4, (text, name, ranking[name], p)
        top = max(ranking, key=ranking.get)
        assert body["intent"]["name"] in (top, "nlu_fallback")
        # DIET alone is ~1.0 sure of nearly everything; the average never exceeds w + (1 - w) * p
        assert ranking[top] <= w + (1 - w) * max(own) + 1e-4
