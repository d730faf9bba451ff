"""bot/rasa_main.py: the cached event-class lookup finds what Rasa's own walk finds; models built by
prediction predict as Rasa's own load does; no JAX."""
from __future__ import annotations

import pytest
from rasa.shared.core import events
from rasa.shared.utils.common import all_subclasses

from bot.rasa_main import cache_event_types


@pytest.fixture()
def cached():
    walk = events.Event.__dict__["resolve_by_type"]
    cache_event_types()
    yield events.Event.resolve_by_type
    events.Event.resolve_by_type = walk


WALK = events.Event.resolve_by_type  # Rasa's own lookup


def test_every_event_type_resolves_to_its_class_and_unknown_ones_still_fail(cached):
    classes = {cls.type_name: cls for cls in reversed(all_subclasses(events.Event))}
    assert len(classes) > 20
    for _ in range(2):  # found, then cached
        for name, cls in classes.items():
            assert cached(name) is WALK(name) is cls
    assert cached("no-such-event", events.UserUttered) is events.UserUttered
    with pytest.raises(ValueError, match="Unknown event name"):
        cached("no-such-event")


def test_a_stored_conversation_reads_back_the_same(cached):
    stored = [events.ActionExecuted("action_listen"), events.UserUttered("hi", {"name": "greet"}),
              events.SlotSet("iop_sense", "eye"), events.BotUttered("hello", metadata={"utter_action": "utter_greet"})]
    back = [events.Event.from_parameters(event.as_dict()) for event in stored]
    assert back == stored


def test_an_event_class_defined_after_a_miss_is_found(cached):
    with pytest.raises(ValueError):
        cached("late_event")

    class LateEvent(events.ActionReverted):
        type_name = "late_event"

    assert cached("late_event") is LateEvent


# Loads the trained model in a fresh interpreter, Rasa's way or built by prediction, and prints
# each parse's intent ranking, answer ranking, and how many optimizer variables DIET holds.
_PARSE = """
import asyncio, json, sys
from bot import rasa_main
if sys.argv[1] == "ours":
    rasa_main.load_models_for_prediction()
from rasa.core.agent import Agent
agent = Agent.load(sys.argv[2])
diet = agent.processor.graph_runner._instantiated_nodes
diet = next(node._component for name, node in diet.items() if name.startswith("run_DIETClassifier"))
variables = diet.model.optimizer.variables
variables = variables() if callable(variables) else variables
slots = sum(int(v.shape.num_elements()) for v in variables)  # the iteration count is a scalar
out = []
for text in json.loads(sys.argv[3]):
    parse = asyncio.run(agent.parse_message(text))
    out.append([[(i["name"], round(i["confidence"], 4)) for i in parse["intent_ranking"]],
                [(r["intent_response_key"], round(r["confidence"], 4))
                 for r in parse["response_selector"]["faq"]["ranking"]]])
print(json.dumps({"parses": out, "optimizer_variables": slots}))
"""


@pytest.mark.model
def test_a_model_built_by_prediction_predicts_as_rasas_own_load_without_the_optimizer():
    import json
    import subprocess
    import sys

    from tests.helpers import ROOT

    texts = ["how long does iop last", "do you take medicaid", "cuánto cuesta el programa", "whats the wifi password",
             "my eye pressure is 24", "hi", "ok so how many days a week and is it covered", "asdfgh"]

    def parses(how: str) -> dict:
        done = subprocess.run([sys.executable, "-c", _PARSE, how, str(ROOT / "models" / "current.tar.gz"),
                               json.dumps(texts)], capture_output=True, text=True, cwd=ROOT, timeout=600, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    rasa, ours = parses("rasa"), parses("ours")
    assert rasa["optimizer_variables"] > 1_000_000 and ours["optimizer_variables"] <= 1
    assert len(ours["parses"]) == len(texts)
    for text, theirs, mine in zip(texts, rasa["parses"], ours["parses"], strict=True):
        assert [name for name, _ in mine[0]] == [name for name, _ in theirs[0]], text
        assert [key for key, _ in mine[1]] == [key for key, _ in theirs[1]], text
        for (_, a), (_, b) in zip(mine[0] + mine[1], theirs[0] + theirs[1], strict=True):
            assert a == pytest.approx(b, abs=1e-3), text


@pytest.mark.parametrize(("call", "imported"), [("rasa_main.without_jax();", "False"), ("", "True")])
def test_jax_is_not_imported_by_a_server(call, imported):
    import subprocess
    import sys

    # without the call, loading Rasa's classifiers imports JAX (through TensorFlow Lite): the test can fail
    code = (f"from bot import rasa_main; {call} import rasa.core.agent, rasa.nlu.classifiers.diet_classifier, sys; "
            "print('jaxlib' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert done.stdout.split()[-1] == imported
