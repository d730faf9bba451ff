"""The cue tagger (bot/nlu/cues.py) and what the router does with its cues."""
from __future__ import annotations

import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.dialogue import routing
from bot.dialogue.routing import Parse
from bot.nlu.cues import Cues, CueTagger, cues


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
    assert cues().facility(text) == phrase


def test_the_list_is_extensible(tmp_path):
    path = tmp_path / "cues.yml"
    path.write_text("facility: [locker room, Vestidor]\nmedication_names: [newdrug]\nmedication_use: [stop]\n",
                    encoding="utf-8")
    assert Cues(path).facility("is there a locker room") == "locker room"
    assert Cues(path).facility("hay vestidor?") == "vestidor"
    assert Cues(path).medical("can i stop newdrug") == "use" and Cues(path).medical("what is newdrug") == "mention"


def test_the_tagger_marks_only_visitor_text_with_a_cue():
    tagger = CueTagger({"list_file": "bot/data/cues.yml"})
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


@pytest.mark.parametrize(("text", "found"), [
    ("can i stop my lexapro once i start iop", "use"), ("se me olvido la pastilla, me tomo dos hoy?", "mention"),
    ("cada cuanto me ponen el vivitrol", "mention"), ("is it ok for him to take his concerta with coffee", "use"),
    ("my son is addicted to pills, how much is iop", "mention"),  # a general word never asks for use
    ("how much does iop cost", None), ("dejar de tomar alcohol", None),
    ("me pasas una receta de tamales", None),  # a recipe, not a prescription
])
def test_reads_medicine_words(text, found):
    assert cues().medical(text) == found


@pytest.mark.parametrize(("message", "expected"), [
    # using a medicine named by name: the medical boundary's reply, whatever the classifier read
    (Parse(text="can i stop my lexapro once i start iop", intent="faq", intent_confidence=0.99,
           intent_ranking=[("faq", 0.99)], selector_ranking=[("how_to_start", 0.95), ("iop_cost", 0.01)],
           entities={"medical_cue": "use"}), ["utter_medical_advice"]),
    # a medicine word in a message read as the facility's question or off-topic: the boundary's reply
    (read("is it ok for him to drink energy drinks on concerta", "facility_question", [("facility_question", 0.8)],
          medical_cue="mention"), ["utter_medical_advice"]),
    # ... but a clear FAQ answer about pills stays
    (Parse(text="my son is addicted to pills, how much is iop", intent="faq", intent_confidence=0.99,
           intent_ranking=[("faq", 0.99)], selector_ranking=[("iop_cost", 0.95), ("iop_insurance", 0.01)],
           entities={"medical_cue": "mention"}), ["utter_faq/iop_cost"]),
    # not understood, medical advice second among the readings: the boundary's reply
    (read("can he keep his meds in the program", "nlu_fallback",
          [("nlu_fallback", 0.3), ("faq", 0.25), ("medical_advice", 0.2)], medical_cue="mention"),
     ["utter_medical_advice"]),
])
def test_the_router_gives_the_medical_boundary_for_medicine_questions(message, expected):
    assert routing.decide(message, {}, KEYS | {"how_to_start"}).responses == expected
