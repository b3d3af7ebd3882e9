#!/usr/bin/env bash
# Serve the trained NLU model over HTTP (Procfile: `nlu: scripts/nlu-serve.sh`).
# NLU_PORT (5005), RASA_TOKEN (optional auth token), NLU_MODEL (default: model for current data), VENV_NLU.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV_NLU="${VENV_NLU:-.venv-nlu}"
export RASA_TELEMETRY_ENABLED=false
# config.yml uses nlu.components.* (custom Rasa component): the repo root must be importable
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
model="${NLU_MODEL:-}"
if [ -z "$model" ]; then
  if [ -f nlu/models/latest ]; then model="nlu/models/$(cat nlu/models/latest)"; else model=$(ls -t nlu/models/nlu-*.tar.gz 2>/dev/null | head -1 || true); fi
fi
[ -n "$model" ] && [ -f "$model" ] || { echo "nlu-serve: no model in nlu/models (run: make nlu-train)" >&2; exit 1; }
args=(run --enable-api -m "$model" --port "${NLU_PORT:-5005}" -i "${NLU_HOST:-127.0.0.1}")
if [ -n "${RASA_TOKEN:-}" ]; then args+=(--auth-token "$RASA_TOKEN"); fi
exec "$VENV_NLU/bin/rasa" "${args[@]}"
