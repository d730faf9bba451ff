"""Training fingerprints: editing any file a training component uses retrains the model."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.nlu import fingerprint as fp
from bot.nlu.normalizer import DomainTermNormalizer
from bot.nlu.sentence_encoder import SentenceEncoder

ROOT = Path(__file__).resolve().parent.parent
# Every component of ours that processes training data (tokenizers, featurizers, trainables).
TRAINING_COMPONENTS = [DomainTermNormalizer, SentenceEncoder]


def _config_component_names() -> set[str]:
    import yaml

    config = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))
    return {step["name"] for step in config["pipeline"] if step["name"].startswith("bot.")}


def test_every_training_component_of_the_config_is_covered() -> None:
    """A component of ours registered as a tokenizer, featurizer or trainable is in the list above."""
    import importlib

    from rasa.engine.recipes.default_recipe import DefaultV1Recipe

    training_types = {DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER}
    in_training = set()
    for name in _config_component_names():
        module, _, cls_name = name.rpartition(".")
        cls = getattr(importlib.import_module(module), cls_name)
        registered = DefaultV1Recipe._registered_components[cls.__name__]
        if registered.is_trainable or registered.types & training_types:
            in_training.add(cls)
        else:
            # not in the training graph: no fingerprint add-on, no training hook
            assert "fingerprint_addon" not in vars(cls), name
            assert "process_training_data" not in vars(cls), name
    assert in_training == set(TRAINING_COMPONENTS)


@pytest.mark.parametrize("component", TRAINING_COMPONENTS)
def test_fingerprint_covers_the_module_its_helpers_and_data(component) -> None:
    files = {Path(p).resolve() for p in component.fingerprint_files()}
    module_file = Path(__import__(component.__module__, fromlist=["_"]).__file__).resolve()
    assert module_file in files, "the component's own module is not hashed"
    helpers = {p.resolve() for p in fp.module_files(component.__module__)}
    assert len(helpers) > 1 and helpers <= files, "a module of ours that it imports is not hashed"
    assert component.fingerprint_addon({}) == fp.fingerprint(files)


def test_the_encoder_fingerprint_covers_its_model_and_tokenizer() -> None:
    from bot.nlu import sentence_encoder

    files = set(SentenceEncoder.fingerprint_files())
    assert sentence_encoder.model_file() in files and sentence_encoder.tokenizer_file() in files


def test_module_files_follow_our_imports_only() -> None:
    files = {p.name for p in fp.module_files("bot.nlu.normalizer")}
    assert {"normalizer.py", "fuzzy.py", "fingerprint.py"} <= files
    assert not any("rasa" in str(p) or "site-packages" in str(p) for p in fp.module_files("bot.nlu.normalizer"))


def test_editing_a_copy_of_the_code_or_data_changes_the_fingerprint(tmp_path: Path) -> None:
    """The bug this guards against: changing MIN_LENGTH in the normaliser left the fingerprint as it was."""
    copies = []
    for path in DomainTermNormalizer.fingerprint_files():
        copy = tmp_path / path.name
        shutil.copy(path, copy)
        copies.append(copy)
    before = fp.fingerprint(copies)
    assert before == DomainTermNormalizer.fingerprint_addon({})
    module = tmp_path / "normalizer.py"
    module.write_text(module.read_text().replace("MIN_LENGTH = 5", "MIN_LENGTH = 4"))
    after_code = fp.fingerprint(copies)
    assert after_code != before
    terms = tmp_path / "domain_terms.yml"
    terms.write_text(terms.read_text() + "\n# edited\n")
    assert fp.fingerprint(copies) not in (before, after_code)
