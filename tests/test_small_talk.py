"""The small-talk reader: a message made only of greetings, goodbyes, thanks or "help" gets that intent."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.small_talk import SmallTalk, SmallTalkReader, reader


@pytest.mark.parametrize(("text", "intent"), [
    ("hiii", "greet"), ("Hey there!!", "greet"), ("hola, buenas noches", "greet"), ("ke onda", None),
    ("ok bye", "goodbye"), ("see ya later", "goodbye"), ("adiós!", "goodbye"), ("nos vemossss", "goodbye"),
    ("thank youuu so much", "thanks"), ("thnx again guys", "thanks"), ("Mil gracias por todo", "thanks"),
    ("HELP", "help"), ("menu pls", "help"),
    # mixed: the goodbye wins over thanks, thanks over a greeting
    ("ok thanks, bye", "goodbye"), ("hola, gracias", "thanks"),
    # anything else in the message leaves it to the classifier
    ("hi, what does iop cost", None), ("thanks, and is it covered?", None), ("help me", None),
    ("bye the way how long is it", None), ("ok", None), ("", None), ("?!", None),
    ("hi hi hi hi hi hi hi hi", None),  # longer than a greeting
])
def test_reads_small_talk(text, intent):
    assert reader().intent(text) == intent


def test_every_phrase_in_the_list_reads_as_its_intent():
    data = yaml.safe_load(Path("bot/data/small_talk.yml").read_text(encoding="utf-8"))
    wrong = [(phrase, intent, reader().intent(phrase)) for intent, phrases in data["intents"].items()
             for phrase in phrases if reader().intent(phrase) != intent]
    assert wrong == []


def test_the_list_is_extensible(tmp_path):
    path = tmp_path / "small_talk.yml"
    path.write_text(yaml.safe_dump({"intents": {"greet": ["ahoy"]}, "fillers": ["matey"]}), encoding="utf-8")
    assert SmallTalk(path).intent("ahoyyy matey") == "greet"
    assert SmallTalk(path).intent("hi") is None


def _message(text, intent="nlu_fallback", confidence=0.3):
    return Message({TEXT: text, "intent": {"name": intent, "confidence": confidence},
                    "intent_ranking": [{"name": intent, "confidence": confidence},
                                       {"name": "goodbye", "confidence": 0.2}]})


def test_the_component_promotes_the_intent_but_never_over_a_crisis(tmp_path):
    component = SmallTalkReader.create({**SmallTalkReader.get_default_config(), "list_file": "bot/data/small_talk.yml"},
                                       LocalModelStorage(tmp_path), Resource("small_talk"),
                                       ExecutionContext(GraphSchema({}), "test"))
    greeting, question, crisis, button = (_message("heyyy"), _message("how long is iop", "faq", 0.9),
                                          _message("bye", "crisis", 1.0), _message("/greet", "greet", 1.0))
    component.process([greeting, question, crisis, button])
    assert greeting.get("intent") == {"name": "greet", "confidence": 1.0}
    assert [r["name"] for r in greeting.get("intent_ranking")][:2] == ["greet", "nlu_fallback"]
    assert question.get("intent")["name"] == "faq"
    assert crisis.get("intent")["name"] == "crisis"
    assert button.get("intent")["name"] == "greet"


def test_a_question_read_as_yes_or_no_goes_to_the_fallback(tmp_path):
    component = SmallTalkReader.create(SmallTalkReader.get_default_config(), LocalModelStorage(tmp_path),
                                       Resource("small_talk"), ExecutionContext(GraphSchema({}), "test"))
    asked = [_message("y si no tengo?", "deny", 0.6), _message("what if i say no to the meds", "deny", 0.5),
             _message("and is that a yes from my plan?", "affirm", 0.7)]
    plain_answers = [_message("no", "deny", 0.9), _message("no thanks, that's all", "deny", 0.8),
                     _message("yes please", "affirm", 0.9), _message("ok?", "affirm", 0.6)]
    question = _message("how long is it?", "faq", 0.9)
    component.process([*asked, *plain_answers, question])
    assert [m.get("intent")["name"] for m in asked] == ["nlu_fallback"] * 3
    assert [m.get("intent")["name"] for m in plain_answers] == ["deny", "deny", "affirm", "affirm"]
    assert question.get("intent")["name"] == "faq"
