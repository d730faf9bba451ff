"""The sentence encoder: real meaning vectors from the packaged model, no hub, checked file."""
from __future__ import annotations

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import sentence_encoder
from bot.nlu.sentence_encoder import DIMENSIONS, SentenceEncoder, encode


def test_vectors_have_unit_length_and_one_row_per_text():
    vectors = encode(["how long is the program", "", "ok"])
    assert vectors.shape == (3, DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert encode([]).shape == (0, DIMENSIONS)


def test_paraphrases_are_closer_than_unrelated_questions():
    medicaid, insurance, dog, weather = encode(
        ["do you take medicaid", "will my insurance pay for it", "can i bring my dog", "is it going to rain"])
    assert medicaid @ insurance > medicaid @ dog + 0.15
    assert medicaid @ insurance > medicaid @ weather + 0.15


def test_batches_give_the_same_vectors_as_single_texts():
    texts = ["what is an intensive outpatient program", "cost?", "my son relapsed, what now"]
    together = encode(texts, batch_size=8)
    alone = np.vstack([encode([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-4)


def test_a_model_file_with_the_wrong_checksum_is_refused(tmp_path, monkeypatch):
    fake = tmp_path / "model.onnx"
    fake.write_bytes(b"not the model")
    monkeypatch.setattr(sentence_encoder, "model_file", lambda: fake)
    sentence_encoder._checked_model.cache_clear()
    try:
        with pytest.raises(sentence_encoder.ModelFileError):
            sentence_encoder._checked_model()
    finally:
        sentence_encoder._checked_model.cache_clear()


def test_component_adds_the_same_scaled_sentence_feature_to_training_and_live_messages(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "encoder")
    config = {**SentenceEncoder.get_default_config(), "scale": 10.0}
    component = SentenceEncoder.create(config, storage, Resource("encoder"), context)
    training = TrainingData([Message({TEXT: "do you take medicaid", "intent": "faq"}), Message({"intent": "x"})])
    component.process_training_data(training)
    live = component.process([Message({TEXT: "do you take medicaid"})])[0]
    trained = training.training_examples[0]
    seq_t, sent_t = trained.get_dense_features(TEXT)
    seq_l, sent_l = live.get_dense_features(TEXT)
    assert seq_t is None and seq_l is None, "sentence features only"
    assert sent_t.features.shape == (1, DIMENSIONS)
    assert np.allclose(sent_t.features, sent_l.features, atol=1e-4)
    assert np.isclose(np.linalg.norm(sent_l.features), 10.0, atol=1e-3)
    assert training.training_examples[1].get_dense_features(TEXT) == (None, None), "no text, no feature"


def test_the_phrasebook_reads_its_vectors_back_only_for_the_same_phrasings(tmp_path, monkeypatch):
    from bot.nlu import phrasebook

    phrasings = {"iop_cost": ["how much does iop cost", "price of the program"], "iop_duration": ["how long is iop"]}
    first = phrasebook.Phrasebook(phrasings, tmp_path)
    assert len(list(tmp_path.glob("*.npy"))) == 1
    calls = []
    monkeypatch.setattr(phrasebook, "encode", lambda texts, batch_size=32: calls.append(texts) or encode(texts))
    again = phrasebook.Phrasebook(phrasings, tmp_path)
    assert calls == [] and np.array_equal(again.vectors, first.vectors)
    assert again.nearest(encode(["what does it cost"])[0])[0].key == "iop_cost"
    # a phrasing edited: encoded afresh, and the stale file replaced
    edited = phrasebook.Phrasebook({**phrasings, "iop_duration": ["how many weeks is iop"]}, tmp_path)
    assert calls == [["how much does iop cost", "price of the program", "how many weeks is iop"]]
    assert len(list(tmp_path.glob("*.npy"))) == 1 and edited.vectors.shape == (3, DIMENSIONS)
    # a damaged file is not trusted
    next(tmp_path.glob("*.npy")).write_bytes(b"not an array")
    assert np.allclose(phrasebook.Phrasebook({**phrasings, "iop_duration": ["how many weeks is iop"]},
                                             tmp_path).vectors, edited.vectors, atol=1e-6)
    assert len(calls) == 2


def test_a_phrasebook_folder_that_cannot_be_written_only_costs_the_encoding(tmp_path):
    from bot.nlu import phrasebook

    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    book = phrasebook.Phrasebook({"iop_cost": ["how much does iop cost"]}, blocked / "phrasebook")
    assert book.vectors.shape == (1, DIMENSIONS)


def test_the_phrasebook_keeps_its_classifier_beside_the_vectors_and_it_answers_as_scikit_learn(tmp_path, monkeypatch):
    from scipy import sparse
    from sklearn.linear_model import LogisticRegression

    from bot.nlu import phrasebook

    phrasings = {"iop_cost": ["how much does iop cost", "price of the program", "is it expensive"],
                 "iop_duration": ["how long is iop", "how many weeks does it last"],
                 "drug_testing": ["do they drug test", "will i have to pee in a cup"]}
    first = phrasebook.Phrasebook(phrasings, tmp_path)
    fitted = first.fit()
    assert len(list(tmp_path.glob("*.classifier.npz"))) == 1
    spelling = first._spellings(first.texts)
    reference = LogisticRegression(C=phrasebook.CLASSIFIER_C, max_iter=3000).fit(
        sparse.hstack([spelling, sparse.csr_matrix(first.vectors)]).tocsr(), np.array(first.keys))
    texts = ["what's the price", "is it months or weeks", "urine test?"]
    for text, vector in zip(texts, encode(texts), strict=True):
        row = sparse.hstack([first._spellings([text]), sparse.csr_matrix(vector[None])]).tocsr()
        assert np.allclose(fitted.probabilities(first._spellings([text])[0], vector),
                           reference.predict_proba(row)[0], atol=1e-5)
    # the next start reads it (no fitting), and ranks alike
    monkeypatch.setattr(phrasebook, "LogisticRegression", None)  # fitting now would fail
    again = phrasebook.Phrasebook(phrasings, tmp_path)
    assert again.classify(encode(["what's the price"])[0], "what's the price")[0].key == "iop_cost"
    assert np.array_equal(again.fit().coef, fitted.coef)
    # other phrasings: the old classifier is removed with the old vectors, never read for the new ones
    monkeypatch.undo()
    edited = phrasebook.Phrasebook({**phrasings, "iop_duration": ["how long is iop"]}, tmp_path)
    assert len(list(tmp_path.glob("*.classifier.npz"))) == 0
    assert edited.fit().coef.shape[0] == 3 and len(list(tmp_path.glob("*.classifier.npz"))) == 1
    # a damaged file is refitted, not trusted
    next(tmp_path.glob("*.classifier.npz")).write_bytes(b"not an archive")
    assert np.allclose(phrasebook.Phrasebook({**phrasings, "iop_duration": ["how long is iop"]}, tmp_path).fit().coef,
                       edited.fit().coef)
