"""The known phrasings of each FAQ answer, as meaning vectors (the sentence encoder), and how near
a message is to each answer's phrasings (the coverage scorer), or which answer it most likely asks
for (a logistic regression over those vectors: the two-question reader's classifier for each part).

The phrasings are those of the training data. Encoding all of them takes about 30 s on one thread,
so the vectors are kept on disk (models/phrasebook/, named by a hash of the encoder's model file, this
code and every phrasing), and the classifier fitted on them beside them: `make model` writes both once,
and each server start reads them.
"""
from __future__ import annotations

import hashlib
import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from bot import content
from bot.nlu.fingerprint import fingerprint, module_files
from bot.nlu.sentence_encoder import DIMENSIONS, SentenceEncoder, encode
from bot.nlu.text import unaccented
from bot.settings import ROOT

CACHE = ROOT / "models" / "phrasebook"
log = logging.getLogger(__name__)

TOP_K = 3  # a key's score: the mean similarity of its three nearest phrasings
CLASSIFIER_C = 10.0


@dataclass(frozen=True)
class Match:
    key: str
    score: float


class Phrasebook:
    """The known phrasings of each answer key, as meaning vectors."""

    def __init__(self, phrasings: dict[str, list[str]], cache: Path | None = None) -> None:
        self.keys: list[str] = []
        texts: list[str] = []
        for key, examples in phrasings.items():
            for example in examples:
                self.keys.append(key)
                texts.append(example)
        self.texts = texts
        self.vectors = _cached_encode(texts, cache)
        self._model: Classifier | None = None
        self._spelling: TfidfVectorizer | None = None
        self._model_file = _cache_file(texts, cache).with_suffix(".classifier.npz") if cache else None
        self._key_index = {key: np.array([i for i, k in enumerate(self.keys) if k == key]) for key in phrasings}

    def nearest(self, vector: np.ndarray) -> list[Match]:
        """Answer keys ranked by how near their phrasings are to ``vector`` (a unit vector)."""
        similarity = self.vectors @ vector
        scores = []
        for key, index in self._key_index.items():
            if len(index):
                top = np.sort(similarity[index])[-TOP_K:]
                scores.append(Match(key, float(top.mean())))
        return sorted(scores, key=lambda m: m.score, reverse=True)

    def classify(self, vector: np.ndarray, text: str) -> list[Match]:
        """Answer keys ranked by their probability for a message (``text`` and its meaning ``vector``):
        a logistic regression fitted on the phrasings' meaning vectors and their character n-grams.
        The meaning tells close answers apart far better than the nearest phrasings do; the spelling
        carries what the English encoder misses in Spanish (cross-validated on the phrasings: Spanish
        0.66 right on meaning alone, 0.80 with both; English 0.89 and 0.92)."""
        model = self.fit()
        probabilities = model.probabilities(self._spellings([text])[0], vector)
        order = np.argsort(-probabilities)
        return [Match(str(model.classes[i]), float(probabilities[i])) for i in order]

    def _spellings(self, texts: list[str]) -> Any:
        """Character n-gram weights (tf-idf over the phrasings), one sparse row per text."""
        return self._vectorizer().transform(texts)

    def _vectorizer(self) -> TfidfVectorizer:
        """Refitted on the phrasings rather than kept: about 0.2 s, and the same phrasings give the
        same columns."""
        if self._spelling is None:
            self._spelling = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2, sublinear_tf=True,
                                             preprocessor=unaccented, dtype=np.float32).fit(self.texts)
        return self._spelling

    def fit(self) -> Classifier:
        """The classifier: read from beside the vectors when it was fitted on exactly them, else fitted
        (about 10 s) and kept there, so a server start only reads it."""
        if self._model is None:
            self._model = Classifier.load(self._model_file) if self._model_file else None
            columns = len(self._vectorizer().vocabulary_)
            if self._model is not None and self._model.coef.shape[1] != columns + DIMENSIONS:
                self._model = None
        if self._model is None:
            # C chosen on the development set's two-question messages (1, 10, 30: 10 split the most
            # right with the fewest spurious splits); lbfgs is deterministic.
            features = sparse.hstack([self._spellings(self.texts), sparse.csr_matrix(self.vectors)]).tocsr()
            fitted = LogisticRegression(C=CLASSIFIER_C, max_iter=3000).fit(features, np.array(self.keys))
            self._model = Classifier(fitted.classes_.astype(str), fitted.coef_.astype(np.float32), fitted.intercept_)
            if self._model_file:
                self._model.save(self._model_file)
        return self._model


@dataclass(frozen=True)
class Classifier:
    """A fitted multinomial logistic regression, as plain arrays (kept without pickle)."""

    classes: np.ndarray  # answer keys, shape (k,)
    coef: np.ndarray  # (k, n-gram columns + 384): the spelling's weights, then the meaning's
    intercept: np.ndarray  # (k,)

    def probabilities(self, spelling: Any, vector: np.ndarray) -> np.ndarray:
        """What scikit-learn's ``predict_proba`` gives for one message (its sparse n-gram row and its
        meaning vector): the softmax of the scores."""
        columns = self.coef.shape[1] - len(vector)
        spelt = np.asarray(spelling @ self.coef[:, :columns].T).ravel()
        scores = spelt + self.coef[:, columns:] @ vector + self.intercept
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()

    def save(self, path: Path) -> None:
        try:
            with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as out:
                np.savez(out, classes=self.classes, coef=self.coef, intercept=self.intercept)
            os.chmod(out.name, 0o644)
            os.replace(out.name, path)
        except OSError as error:
            log.warning("could not keep the phrasebook's classifier in %s: %s", path, error)

    @classmethod
    def load(cls, path: Path) -> Classifier | None:
        try:
            with np.load(path, allow_pickle=False) as data:
                return cls(data["classes"], data["coef"], data["intercept"])
        except (OSError, ValueError, KeyError):
            return None


def faq_phrasings() -> dict[str, list[str]]:
    loaded = content.load()
    return {key: loaded.phrasings.get(key, []) for key in loaded.faq_keys}


def book_texts() -> list[str]:
    return [text for examples in faq_phrasings().values() for text in examples]


@lru_cache(maxsize=1)
def faq_phrasebook() -> Phrasebook:
    return Phrasebook(faq_phrasings(), CACHE)


def _cache_file(texts: list[str], folder: Path) -> Path:
    code = [*SentenceEncoder.fingerprint_files(), *module_files("bot.nlu.phrasebook")]
    digest = hashlib.sha256(fingerprint(code).encode())
    for text in texts:
        digest.update(text.encode("utf-8") + b"\0")
    return folder / f"{digest.hexdigest()[:24]}.npy"


def _cached_encode(texts: list[str], folder: Path | None) -> np.ndarray:
    """``encode(texts)``, read from ``folder`` when it was written for exactly these texts, this
    encoder and this code; written there otherwise (atomically; a folder that can't be written to
    only costs the encoding next time)."""
    if folder is None:
        return encode(texts, batch_size=64)
    path = _cache_file(texts, folder)
    try:
        vectors = np.load(path, allow_pickle=False)
        if vectors.shape == (len(texts), DIMENSIONS):
            return vectors
    except (OSError, ValueError):
        pass
    vectors = encode(texts, batch_size=64)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in [*folder.glob("*.npy"), *folder.glob("*.npz")]:
            old.unlink(missing_ok=True)  # earlier phrasings or encoder: never read again
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as out:
            np.save(out, vectors, allow_pickle=False)
        os.chmod(out.name, 0o644)
        os.replace(out.name, path)
    except OSError as error:
        log.warning("could not keep the phrasebook's vectors in %s: %s", folder, error)
    return vectors


if __name__ == "__main__":  # `make model`: encode the phrasings once, for every server start after
    book = faq_phrasebook()
    book.fit()  # fitted here too, so that a broken fit fails the build, not a server
    print(f"    phrasebook: {len(book.keys)} phrasings in {_cache_file(book_texts(), CACHE).name}", file=sys.stderr)
