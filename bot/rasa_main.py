"""``python -m bot.rasa_main run ...``: Rasa's own command line, without screens of third-party noise.

The filters name the exact warnings that Rasa 3.6 and its pinned libraries raise on
every start (deprecated APIs inside those libraries, a notice about a feature this
project does not use), at the modules that raise them; any other warning still shows.
"""
from __future__ import annotations

import logging
import re
import sys
import warnings
from typing import Any

NOISE = [
    # (category, message pattern, module that raises it)
    (DeprecationWarning, "", r"(tensorflow|keras|tensorboard|flatbuffers|google\.protobuf|jax|sanic|sanic_routing|"
                             r"pkg_resources|setuptools|distutils|absl|h5py|sqlalchemy|apscheduler|"
                             r"networkx|matplotlib|aiohttp|websockets|pydot|rasa)(\.|$)"),
    (PendingDeprecationWarning, "", r"(tensorflow|keras|rasa)(\.|$)"),
    (UserWarning, r"Slot auto-fill has been removed", r"rasa(\.|$)"),
    (UserWarning, r".*(constrain_similarities|model_confidence|number_of_transformer_layers).*", r"rasa\."),
    (FutureWarning, "", r"(tensorflow|keras|rasa)(\.|$)"),
]


# Deprecation notices raised inside these installed libraries, whoever imports them (a library
# that resets the warning filters cannot bring them back: they are dropped where they are shown).
NOISY_FILES = re.compile(r"site-packages/(pkg_resources|sanic_cors|tensorflow|matplotlib|packaging|typer|spacy|"
                         r"rasa|keras|jax|sqlalchemy|setuptools|google|absl|h5py|sanic|apscheduler)/")
DEPRECATIONS = ("DeprecationWarning", "PendingDeprecationWarning", "FutureWarning")
RASA_NOTICES = re.compile(r"constrain_similarities|model_confidence|number_of_transformer_layers|Slot auto-fill")


def is_noise(category: type[Warning], message: str, filename: str) -> bool:
    """True for a known third-party notice that tells a visitor or an operator nothing."""
    names = {klass.__name__ for klass in category.__mro__}
    if NOISY_FILES.search(filename.replace("\\", "/")) and names & set(DEPRECATIONS):
        return True
    return issubclass(category, UserWarning) and bool(RASA_NOTICES.search(message))


def quiet() -> None:
    for category, message, module in NOISE:
        warnings.filterwarnings("ignore", message=message, category=category, module=module)
    shown = warnings.showwarning

    def show(message: Any, category: type[Warning], filename: str, lineno: int, *args: Any, **kwargs: Any) -> None:
        if not is_noise(category, str(message), filename):
            shown(message, category, filename, lineno, *args, **kwargs)

    warnings.showwarning = show
    for name in ("tensorflow", "absl", "h5py", "sanic.root", "apscheduler"):
        logging.getLogger(name).setLevel(logging.ERROR)


def cache_event_types() -> None:
    """Rasa finds an event's class by walking every Event subclass, for each stored event of each
    tracker it loads (about a tenth of a reply's CPU): found classes are kept by type name. A name
    not found yet is looked up again, so an event class imported later is still found."""
    from rasa.shared.core.events import Event

    walk = Event.resolve_by_type
    found: dict[str, type[Event]] = {}

    def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
        cls = found.get(type_name)
        if cls is None:
            cls = walk(type_name, default)
            if cls is not None and cls.type_name == type_name:
                found[type_name] = cls
        return cls

    Event.resolve_by_type = staticmethod(resolve_by_type)


def load_models_for_prediction() -> None:
    """Rasa loads a trained DIET or ResponseSelector by training it on one example first (to build
    its weights), then reading the weights: that leaves the optimizer's two slots per weight, about
    twice the model again, and the training step's graph in every server (about 320 MB of a 1.35 GB
    server for this model). Built by the prediction it is there for instead, then read, a model
    predicts exactly the same (tests/test_rasa_main.py) and the optimizer's state in the file is
    never read. Reading the weights before that first prediction matters: traced before them, the
    prediction kept the initial ones. Fine-tuning (``rasa train --finetune``) keeps Rasa's way."""
    from rasa.utils.tensorflow.models import RasaModel

    rasa_load = RasaModel.load.__func__

    def load(cls: type[RasaModel], model_file_name: str, model_data_example: Any,
             predict_data_example: Any = None, finetune_mode: bool = False, *args: Any, **kwargs: Any) -> RasaModel:
        if finetune_mode or predict_data_example is None:
            return rasa_load(cls, model_file_name, model_data_example, predict_data_example, finetune_mode,
                             *args, **kwargs)
        model = cls(*args, **kwargs)
        model.compile(run_eagerly=kwargs.get("config", {}).get("run_eagerly"))
        status = model.load_weights(model_file_name)  # restored as the prediction creates each weight
        model.run_inference(predict_data_example)
        status.expect_partial()  # the optimizer's slots stay in the file
        return model

    RasaModel.load = classmethod(load)


def without_jax() -> None:
    """TensorFlow Lite imports JAX if it is installed (a dependency of this TensorFlow) and does
    without it otherwise; nothing here uses either, and JAX costs every server about 25 MB."""
    sys.modules.setdefault("jax", None)  # type: ignore[arg-type]


def main() -> None:
    quiet()
    without_jax()
    cache_event_types()
    load_models_for_prediction()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
