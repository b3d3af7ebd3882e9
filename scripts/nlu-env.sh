#!/usr/bin/env bash
# Build the Rasa environment (.venv-nlu) with Python 3.10 from nlu/requirements.lock.
# Python: $NLU_PYTHON, else python3.10 on PATH, else ~/.pyenv/versions/3.10.*/bin/python.
# Idempotent: does nothing when the venv already matches the lock (hash stamp).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV_NLU="${VENV_NLU:-.venv-nlu}"
LOCK=nlu/requirements.lock
[ "${NLU_FROM_IN:-0}" = 1 ] && LOCK=nlu/requirements.in

find_python() {
  if [ -n "${NLU_PYTHON:-}" ]; then echo "$NLU_PYTHON"; return; fi
  for c in python3.10 $(ls -d "$HOME"/.pyenv/versions/3.10.*/bin/python 2>/dev/null | sort -V -r); do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      command -v "$c"; return
    fi
  done
  return 1
}

want=$(sha256sum "$LOCK" | cut -c1-16)
stamp="$VENV_NLU/.streetline-lock"
if [ -x "$VENV_NLU/bin/rasa" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  echo "nlu-env: $VENV_NLU is up to date ($LOCK $want)"; exit 0
fi
if [ ! -x "$VENV_NLU/bin/python" ]; then
  PYTHON=$(find_python) || { echo "nlu-env: need Python 3.10 (set NLU_PYTHON, or install ~/.pyenv/versions/3.10.x)" >&2; exit 1; }
  echo "nlu-env: creating $VENV_NLU with $PYTHON"
  "$PYTHON" -m venv "$VENV_NLU"
fi
"$VENV_NLU/bin/python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' \
  || { echo "nlu-env: $VENV_NLU is not Python 3.10; remove it" >&2; exit 1; }
"$VENV_NLU/bin/pip" install --quiet --disable-pip-version-check -r "$LOCK"
"$VENV_NLU/bin/rasa" --version >/dev/null
echo "$want" > "$stamp"
echo "nlu-env: ready ($("$VENV_NLU/bin/rasa" --version 2>/dev/null | grep -i '^Rasa Version' | tr -s ' '))"
