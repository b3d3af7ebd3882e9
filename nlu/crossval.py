"""5-fold cross-validation of both NLU backends on the training data.

    python -m nlu.crossval [--folds 5] [--backend both|rasa|fallback]

Rasa: ``rasa test nlu --cross-validation --folds N`` (report in nlu/results/cv/intent_report.json).
Fallback: the same stratified N-fold split procedure with FallbackMatcher.
Prints a summary per backend; the LAST line is one JSON object {"rasa": {...}, "fallback": {...}}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

from nlu.evaluate import metrics
from nlu.trainingdata import load_training
from nlu.train import NLU_DIR, rasa_env, venv_nlu


def cv_fallback(folds: int = 5, seed: int = 42, params=None) -> dict:
    from sklearn.model_selection import StratifiedKFold

    from nlu.fallback import FallbackMatcher, Params
    from nlu.gazetteer import Gazetteer

    examples = load_training()
    labels = [e.intent for e in examples]
    gold, pred = [], []
    skf = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    gaz = Gazetteer([])
    t0 = time.monotonic()
    for train_idx, test_idx in skf.split(examples, labels):
        m = FallbackMatcher(params or Params(), gaz).fit([examples[i] for i in train_idx])
        test = [examples[i] for i in test_idx]
        pred.extend(m.predict_many(e.text for e in test))
        gold.extend(e.intent for e in test)
    result = metrics(gold, pred)
    result["seconds"] = round(time.monotonic() - t0, 1)
    return result


def cv_rasa(folds: int = 5) -> dict:
    rasa = venv_nlu() / "bin" / "rasa"
    if not rasa.exists():
        raise SystemExit(f"{rasa} missing: run `make nlu-env`")
    out = NLU_DIR / "results" / "cv"
    cmd = [str(rasa), "test", "nlu", "--config", "config.yml", "--nlu", "data", "--cross-validation",
           "--folds", str(folds), "--out", str(out)]
    print("crossval:", " ".join(cmd), flush=True)
    t0 = time.monotonic()
    subprocess.run(cmd, cwd=NLU_DIR, env=rasa_env(), check=True, stdout=subprocess.DEVNULL)
    took = time.monotonic() - t0
    report = json.loads((out / "intent_report.json").read_text())
    per = {k: {"precision": round(v["precision"], 4), "recall": round(v["recall"], 4),
               "f1": round(v["f1-score"], 4), "support": v["support"]}
           for k, v in report.items() if isinstance(v, dict) and "support" in v and k not in
           ("macro avg", "weighted avg", "micro avg")}
    confusions = {}
    for k, v in report.items():
        if isinstance(v, dict) and v.get("confused_with"):
            for other, n in v["confused_with"].items():
                confusions[f"{k}->{other}"] = n
    return {
        "accuracy": round(report["accuracy"], 4) if "accuracy" in report else round(report["micro avg"]["f1-score"], 4),
        "macro_f1": round(report["macro avg"]["f1-score"], 4),
        "per_intent": per,
        "examples": int(report["weighted avg"]["support"]),
        "confusions": dict(sorted(confusions.items(), key=lambda kv: -kv[1])[:12]),
        "seconds": round(took, 1),
    }


def _summary(name: str, r: dict) -> str:
    worst = sorted(r["per_intent"].items(), key=lambda kv: kv[1]["f1"])[:3]
    return (f"{name:>8}: {r['folds'] if 'folds' in r else ''}accuracy {r['accuracy']:.3f}  macro F1 {r['macro_f1']:.3f}  "
            f"on {r['examples']} examples ({r['seconds']} s); weakest: "
            + ", ".join(f"{k} {v['f1']:.2f}" for k, v in worst)
            + (f"; top confusions: {r['confusions']}" if r["confusions"] else ""))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="N-fold cross-validation of the Rasa and fallback NLU backends")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--backend", choices=("both", "rasa", "fallback"), default="both")
    args = ap.parse_args(argv)
    results = {}
    if args.backend in ("both", "fallback"):
        results["fallback"] = cv_fallback(args.folds)
        print(_summary("fallback", results["fallback"]), flush=True)
    if args.backend in ("both", "rasa"):
        results["rasa"] = cv_rasa(args.folds)
        print(_summary("rasa", results["rasa"]), flush=True)
    print(json.dumps({k: {kk: vv for kk, vv in v.items()} for k, v in results.items()}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
