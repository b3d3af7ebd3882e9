"""Which of an organization's languages a message is written in, so a first-time texter who writes
in Kiswahili to a line whose default is English is answered in Kiswahili from the first reply.

A multinomial naive Bayes over character n-grams, trained at first use on the NLU training data
(each file nlu/data/<lang>.yml is one language); Devanagari script is Hindi outright. It answers
only when it is sure among the languages asked about, and never for a single word (the engine reads a
single word against content's keywords of each language instead)."""
from __future__ import annotations

import threading
import unicodedata
import warnings
from pathlib import Path

from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import Pipeline

from nlu.entities import normalize
from nlu.trainingdata import DATA_DIR, load_file, training_files

MIN_PROBABILITY = 0.9
MIN_LETTERS = 4
MIN_WORDS = 2


class LanguageGuesser:
    def __init__(self, data_dir: str | Path = DATA_DIR):
        texts, labels = [], []
        for path in training_files(data_dir):
            for example in load_file(path):
                texts.append(normalize(example.text))
                labels.append(path.stem)
        self.pipeline = Pipeline([
            ("grams", CountVectorizer(analyzer="char_wb", ngram_range=(1, 4), min_df=2)),
            ("nb", MultinomialNB(alpha=0.1)),
        ])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.pipeline.fit(texts, labels)
        self.languages = [str(c) for c in self.pipeline.classes_]

    def guess(self, text: str, among: list[str] | tuple[str, ...], ignore: frozenset[str] = frozenset()) -> str | None:
        """The language of `text` among `among`, or None when unsure. Words in `ignore` (place names:
        "gikomba" is no Kiswahili) do not count."""
        if len(among) < 2:
            return among[0] if among else None
        if any(unicodedata.name(ch, "").startswith("DEVANAGARI") for ch in text):
            return "hi" if "hi" in among else None
        words = [w for w in normalize(text).split() if w not in ignore]
        said = " ".join(words)
        # One word is too little to tell ("githumba" is a misspelt market, not Kiswahili).
        if len(words) < MIN_WORDS or sum(ch.isalpha() for ch in said) < MIN_LETTERS:
            return None
        known = [lang for lang in among if lang in self.languages]
        if len(known) < 2:
            return None
        probabilities = dict(zip(self.languages, self.pipeline.predict_proba([said])[0]))
        total = sum(probabilities[lang] for lang in known) or 1.0
        best = max(known, key=lambda lang: probabilities[lang])
        return best if probabilities[best] / total >= MIN_PROBABILITY else None


_default: LanguageGuesser | None = None
_lock = threading.Lock()


def default_guesser() -> LanguageGuesser:
    """Process-wide guesser, trained on first use (well under a second)."""
    global _default
    with _lock:
        if _default is None:
            _default = LanguageGuesser()
        return _default
