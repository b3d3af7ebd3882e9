"""Custom Rasa 3.6 graph components for the streetline NLU pipeline (imported by Rasa from config.yml).

Rasa finds them by their dotted path (``nlu.components.tfidf_ensemble.TfidfEnsembleClassifier``), so the
repository root must be on Rasa's PYTHONPATH: nlu/train.py's ``rasa_env()`` (train, cross-validation,
server) and scripts/nlu-serve.sh set it.
"""
