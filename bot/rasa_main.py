"""``python -m bot.rasa_main run ...``: Rasa's own command line, without screens of third-party noise.

The filters name the exact warnings that Rasa 3.6 and its pinned libraries raise on
every start (deprecated APIs inside those libraries, a notice about a feature this
project does not use), at the modules that raise them; any other warning still shows.
"""
from __future__ import annotations

import logging
import sys
import warnings

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


def quiet() -> None:
    for category, message, module in NOISE:
        warnings.filterwarnings("ignore", message=message, category=category, module=module)
    for name in ("tensorflow", "absl", "h5py", "sanic.root", "apscheduler"):
        logging.getLogger(name).setLevel(logging.ERROR)


def main() -> None:
    quiet()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
