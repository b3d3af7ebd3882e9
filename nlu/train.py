"""Train the Rasa NLU model when config or data changed.

    python -m nlu.train [--force] [--print-model]

The model name is ``nlu-<sha256(config.yml + data/*.yml)[:12]>.tar.gz`` (data/ includes the generated
lookups), so an unchanged project maps to an existing file and training is skipped. Runs the Rasa of
$VENV_NLU (default .venv-nlu) as a subprocess: this module only needs the standard library.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

NLU_DIR = Path(__file__).resolve().parent
ROOT = NLU_DIR.parent
MODELS = NLU_DIR / "models"


def project_hash(nlu_dir: Path = NLU_DIR) -> str:
    h = hashlib.sha256()
    files = [nlu_dir / "config.yml"] + sorted((nlu_dir / "data").glob("*.yml"))
    for f in files:
        h.update(f.relative_to(nlu_dir).as_posix().encode() + b"\0")
        h.update(f.read_bytes() + b"\0")
    return h.hexdigest()[:12]


def model_name() -> str:
    return f"nlu-{project_hash()}"


def model_path() -> Path:
    """Where the model for the current config+data is (or will be)."""
    return MODELS / f"{model_name()}.tar.gz"


def venv_nlu() -> Path:
    v = Path(os.environ.get("VENV_NLU", ROOT / ".venv-nlu"))
    return v if v.is_absolute() else ROOT / v


def rasa_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("RASA_TELEMETRY_ENABLED", "false")
    env.setdefault("RASA_CACHE_DIRECTORY", str(MODELS / ".cache"))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # config.yml names a custom component by its dotted path (nlu.components...): Rasa must import it
    paths = [str(ROOT)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != str(ROOT)]
    env["PYTHONPATH"] = os.pathsep.join(paths)
    return env


def train(force: bool = False) -> Path:
    target = model_path()
    if target.exists() and not force:
        print(f"nlu-train: {target.relative_to(ROOT)} is up to date (config and data unchanged)")
        _mark_latest(target)
        return target
    rasa = venv_nlu() / "bin" / "rasa"
    if not rasa.exists():
        raise SystemExit(f"nlu-train: {rasa} missing; run `make nlu-env` first")
    MODELS.mkdir(exist_ok=True)
    cmd = [str(rasa), "train", "nlu", "--config", "config.yml", "--nlu", "data", "--out", "models",
           "--fixed-model-name", target.name[:-len(".tar.gz")]]
    print("nlu-train:", " ".join(cmd), flush=True)
    t0 = time.monotonic()
    subprocess.run(cmd, cwd=NLU_DIR, env=rasa_env(), check=True)
    took = time.monotonic() - t0
    size = target.stat().st_size / 1e6
    print(f"nlu-train: trained {target.relative_to(ROOT)} in {took:.0f} s ({size:.1f} MB)")
    _mark_latest(target)
    # keep the directory small: drop models of older data
    for old in MODELS.glob("nlu-*.tar.gz"):
        if old != target and old.stat().st_mtime < target.stat().st_mtime - 1:
            old.unlink()
    return target


def _mark_latest(target: Path) -> None:
    (MODELS / "latest").write_text(target.name + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="train the Rasa NLU model if config/data changed")
    ap.add_argument("--force", action="store_true")
    ap.add_argument("--print-model", action="store_true", help="print the model path for the current data")
    args = ap.parse_args(argv)
    if args.print_model:
        print(model_path())
        return 0
    train(force=args.force)
    return 0


if __name__ == "__main__":
    sys.exit(main())
