# NLU targets (included by the main Makefile: include mk/*.mk)
VENV_NLU ?= .venv-nlu
PY ?= .venv/bin/python
NLU_FOLDS ?= 5

.PHONY: nlu-env nlu-lock nlu-sync nlu-train nlu-eval nlu-heldout nlu-serve nlu-test

## Build .venv-nlu (Python 3.10) from nlu/requirements.lock
nlu-env:
	VENV_NLU=$(VENV_NLU) scripts/nlu-env.sh

## Regenerate nlu/requirements.lock from the built env (pip freeze)
nlu-lock:
	VENV_NLU=$(VENV_NLU) scripts/nlu-lock.sh

## Regenerate nlu/data/lookups.yml from the content/ gazetteer
nlu-sync:
	$(PY) -m nlu.gazetteer_sync

## Train the Rasa model into nlu/models/ (skipped when config+data are unchanged)
nlu-train: nlu-env nlu-sync
	VENV_NLU=$(VENV_NLU) $(PY) -m nlu.train

## 5-fold cross-validation of both backends (Rasa and the in-process fallback)
nlu-eval: nlu-env nlu-sync
	VENV_NLU=$(VENV_NLU) $(PY) -m nlu.crossval --folds $(NLU_FOLDS)

## Both backends on the independent held-out file (needs a trained model)
nlu-heldout: nlu-train
	VENV_NLU=$(VENV_NLU) $(PY) -m nlu.evaluate --data nlu/tests_data/heldout.yml --backend fallback
	VENV_NLU=$(VENV_NLU) $(PY) -m nlu.evaluate --data nlu/tests_data/heldout.yml --backend rasa --start-server

nlu-serve:
	VENV_NLU=$(VENV_NLU) scripts/nlu-serve.sh

nlu-test: nlu-train
	$(PY) -m pytest tests/nlu
