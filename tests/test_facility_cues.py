"""The facility cue tagger (bot/nlu/facility_cues.py) and what the router does with its cue."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.dialogue import routing
from bot.dialogue.routing import Parse
from bot.nlu.facility_cues import FacilityCues, FacilityCueTagger, cues


@pytest.mark.parametrize(("text", "phrase"), [
    ("donde estan ubicados", "donde estan"), ("Dónde están ubicados?", "donde estan"),
    ("hay estacionamiento?", "estacionamiento"), ("cual es el numero de telefono", "telefono"),
    ("whats the wifi password", "wifi"), ("is there childcare during groups", "childcare"),
    ("need to reschedule my intake", "reschedule"), ("me pasan la contraseña del internet", "contrasena"),
    # treatment questions and unrelated ones name none
    ("how much does iop cost", None), ("cuanto cuesta el programa", None), ("how do i fight a ticket in court", None),
    ("what is the weather like", None), ("can i keep working during the program", None),
    ("the addressed issues", None),  # whole words only
])
def test_finds_facility_phrases(text, phrase):
    assert cues().find(text) == phrase


def test_the_list_is_extensible(tmp_path):
    path = tmp_path / "cues.yml"
    path.write_text("phrases: [locker room, Vestidor]\n", encoding="utf-8")
    assert FacilityCues(path).find("is there a locker room") == "locker room"
    assert FacilityCues(path).find("hay vestidor?") == "vestidor"


def test_the_tagger_marks_only_visitor_text_with_a_cue():
    tagger = FacilityCueTagger({"list_file": "bot/data/facility_cues.yml"})
    cued, plain, button = (Message({TEXT: t}) for t in ("where are you located", "what is iop", "/greet"))
    tagger.process([cued, plain, button])
    assert [e["value"] for e in cued.get("entities", []) if e["entity"] == "facility_cue"] == ["located"]
    assert plain.get("entities", []) == [] and button.get("entities", []) == []


def read(text: str, intent: str, ranking: list[tuple[str, float]], **entities: str) -> Parse:
    return Parse(text=text, intent=intent, intent_confidence=ranking[0][1], intent_ranking=ranking,
                 selector_ranking=[("iop_cost", 0.3), ("iop_insurance", 0.25), ("how_to_start", 0.2)],
                 entities=entities)


KEYS = {"iop_cost", "iop_insurance", "how_to_start"}


@pytest.mark.parametrize(("message", "expected"), [
    # off-topic with a facility cue: the facility's reply; without one: the off-topic reply
    (read("donde estan ubicados", "out_of_scope", [("out_of_scope", 0.7)], facility_cue="donde estan"),
     ["utter_facility_question"]),
    (read("que es la migraña", "out_of_scope", [("out_of_scope", 0.7)]), ["utter_out_of_scope"]),
    # not understood, the facility's question second among the classifier's readings: the facility's reply
    (read("hay estacionamiento?", "nlu_fallback",
          [("nlu_fallback", 0.3), ("faq", 0.25), ("facility_question", 0.2)], facility_cue="estacionamiento"),
     ["utter_facility_question"]),
    # ... but not when the classifier does not think of the facility at all, or without a cue
    (read("cuanto pago por mes", "nlu_fallback",
          [("nlu_fallback", 0.3), ("faq", 0.25), ("greet", 0.2), ("facility_question", 0.1)], facility_cue="pago"),
     ["utter_ask_rephrase"]),
    (read("hay algo mas?", "nlu_fallback", [("nlu_fallback", 0.3), ("faq", 0.25), ("facility_question", 0.2)]),
     ["utter_ask_rephrase"]),
    # a clear FAQ answer is never changed by a cue
    (Parse(text="is there childcare during groups", intent="faq", intent_confidence=0.99,
           intent_ranking=[("faq", 0.99)], selector_ranking=[("iop_cost", 0.95), ("iop_insurance", 0.01)],
           entities={"facility_cue": "childcare"}), ["utter_faq/iop_cost"]),
])
def test_the_router_gives_the_facility_reply_for_a_cued_message_it_would_not_answer(message, expected):
    assert routing.decide(message, {}, KEYS).responses == expected
