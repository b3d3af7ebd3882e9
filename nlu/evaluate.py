"""Evaluate an NLU backend on any Rasa NLU YAML file.

    python -m nlu.evaluate --data nlu/tests_data/heldout.yml --backend fallback
    python -m nlu.evaluate --data FILE.yml --backend rasa --url http://127.0.0.1:5005 [--token T]
    python -m nlu.evaluate --data FILE.yml --backend rasa --start-server     # starts Rasa on a free port

The LAST line printed is one JSON object: accuracy, macro_f1, per_intent {precision, recall, f1, support},
examples, backend, confusions (most frequent gold->predicted pairs), errors (a few misclassified texts).
For the rasa backend the intent is the one NluClient returns (nlu_fallback -> fallback matcher or
out_of_scope); ``raw_accuracy`` is Rasa's own top intent ignoring nlu_fallback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from typing import Sequence

from nlu.trainingdata import Example, load_file


def metrics(gold: Sequence[str], pred: Sequence[str]) -> dict:
    labels = sorted(set(gold) | set(pred))
    per: dict[str, dict] = {}
    f1s = []
    for lab in labels:
        tp = sum(1 for g, p in zip(gold, pred) if g == lab and p == lab)
        fp = sum(1 for g, p in zip(gold, pred) if g != lab and p == lab)
        fn = sum(1 for g, p in zip(gold, pred) if g == lab and p != lab)
        support = tp + fn
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / support if support else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        if support:
            per[lab] = {"precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4), "support": support}
            f1s.append(f1)
    correct = sum(1 for g, p in zip(gold, pred) if g == p)
    confusions = Counter(f"{g}->{p}" for g, p in zip(gold, pred) if g != p)
    return {
        "accuracy": round(correct / len(gold), 4) if gold else 0.0,
        "macro_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
        "per_intent": per,
        "examples": len(gold),
        "confusions": dict(confusions.most_common(12)),
    }


def eval_fallback(examples: Sequence[Example]) -> tuple[list[str], dict]:
    from nlu.fallback import FallbackMatcher

    t0 = time.monotonic()
    matcher = FallbackMatcher.load()
    load_s = time.monotonic() - t0
    t0 = time.monotonic()
    pred = [matcher.predict(e.text)[0] for e in examples]
    per_ms = (time.monotonic() - t0) * 1000 / max(1, len(examples))
    return pred, {"load_seconds": round(load_s, 3), "ms_per_parse": round(per_ms, 2)}


def eval_rasa(examples: Sequence[Example], url: str, token: str | None) -> tuple[list[str], dict]:
    import requests

    from nlu.client import FALLBACK_INTENT, NluClient
    from nlu.fallback import FallbackMatcher

    client = NluClient(url, token=token, timeout=10, fallback=FallbackMatcher.load(), breaker_failures=1000)
    session = requests.Session()
    params = {"token": token} if token else {}
    pred, raw_pred = [], []
    t0 = time.monotonic()
    for e in examples:
        r = session.post(f"{url.rstrip('/')}/model/parse", params=params, json={"text": e.text}, timeout=30)
        r.raise_for_status()
        data = r.json()
        result = client._from_rasa(e.text, data, None)
        pred.append(result.intent)
        ranking = [i["name"] for i in data.get("intent_ranking") or [] if i["name"] != FALLBACK_INTENT]
        raw_pred.append(ranking[0] if ranking else "out_of_scope")
    per_ms = (time.monotonic() - t0) * 1000 / max(1, len(examples))
    gold = [e.intent for e in examples]
    raw = metrics(gold, raw_pred)
    return pred, {"raw_accuracy": raw["accuracy"], "raw_macro_f1": raw["macro_f1"], "ms_per_parse": round(per_ms, 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="evaluate an NLU backend on a Rasa NLU YAML file")
    ap.add_argument("--data", required=True)
    ap.add_argument("--backend", choices=("rasa", "fallback"), required=True)
    ap.add_argument("--url", default=os.environ.get("RASA_URL"))
    ap.add_argument("--token", default=os.environ.get("RASA_TOKEN"))
    ap.add_argument("--start-server", action="store_true", help="start a Rasa server with the current model")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    examples = load_file(args.data)
    gold = [e.intent for e in examples]
    server = None
    extra: dict = {}
    try:
        if args.backend == "fallback":
            pred, extra = eval_fallback(examples)
        else:
            url, token = args.url, args.token
            if args.start_server or not url:
                from nlu.server import start_rasa

                token = token or "eval"
                server = start_rasa(token=token)
                url = server.url
                extra["server_rss_mb"] = None
            pred, more = eval_rasa(examples, url, token)
            extra.update(more)
            if server is not None:
                extra["server_rss_mb"] = round(server.rss_mb() or 0, 1)
    finally:
        if server is not None:
            server.stop()
    result = metrics(gold, pred)
    result.update(extra)
    result["backend"] = args.backend
    result["data"] = args.data
    result["errors"] = [{"text": e.text, "gold": e.intent, "pred": p}
                        for e, p in zip(examples, pred) if e.intent != p][:40]
    if not args.quiet:
        print(f"{args.backend}: accuracy {result['accuracy']:.3f}  macro F1 {result['macro_f1']:.3f}  "
              f"({len(examples)} examples from {args.data})")
        for err in result["errors"]:
            print(f"  {err['gold']:>18} -> {err['pred']:<18} {err['text']}")
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
