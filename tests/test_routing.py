"""The router's decisions (bot/dialogue/routing.py), table-style, without a tracker."""
from __future__ import annotations

import dataclasses

import pytest

from bot.dialogue import routing
from bot.dialogue.routing import Parse

FAQ_KEYS = {"what_is_iop", "iop_duration", "iop_cost", "iop_insurance", "what_is_php", "how_to_start"}


def parse(text="msg", intent="faq", key="iop_duration", conf=0.9, second=0.05, **entities) -> Parse:
    ranking = [(key, conf), ("iop_cost" if key != "iop_cost" else "iop_insurance", second)]
    return Parse(text=text, intent=intent, intent_confidence=0.95, intent_ranking=[(intent, 0.95)],
                 selector_ranking=ranking if intent == "faq" else [], entities=entities)


@pytest.mark.parametrize(
    ("message", "slots", "expected", "slot_updates"),
    [
        # a treatment-only question answers directly and remembers the sense
        (parse(), {}, ["utter_faq/iop_duration"], {"iop_sense": "treatment"}),
        # a bare "what is IOP" with no cue and no memory asks, keeping the question pending
        (parse("what is iop", key="what_is_iop", acronym="iop"), {}, ["utter_ask_iop_sense"],
         {"pending_answer": "what_is_iop"}),
        # ... but not when the sense is remembered
        (parse("what is iop", key="what_is_iop", acronym="iop"), {"iop_sense": "treatment"},
         ["utter_faq/what_is_iop"], {}),
        # spelled out: no acronym, no question
        (parse("what is intensive outpatient", key="what_is_iop"), {}, ["utter_faq/what_is_iop"], {}),
        # a cue in the message wins over the remembered sense
        (parse("what is iop glaucoma", key="what_is_iop", acronym="iop", iop_sense="eye"),
         {"iop_sense": "eye"}, ["utter_iop_eye"], {"iop_sense": "eye"}),
        # a follow-up in the eye sense never gets a treatment answer
        (parse("how long does it last"), {"iop_sense": "eye"}, ["utter_iop_eye"], {}),
        (parse("and what does it cost", key="iop_cost"), {"iop_sense": "stock"}, ["utter_iop_stock"], {}),
        # the eye and stock intents answer in their sense
        (parse("normal eye pressure?", intent="iop_eye"), {}, ["utter_iop_eye"], {"iop_sense": "eye"}),
        (parse("ipo date", intent="iop_stock"), {"iop_sense": "treatment"}, ["utter_iop_stock"], {}),
        # PHP: a programming cue only
        (parse("php laravel", key="what_is_php", php_sense="programming"), {}, ["utter_php_programming"], {}),
        (parse("what is php", key="what_is_php", acronym="php"), {}, ["utter_faq/what_is_php"], {}),
        # a mention of crisis topics adds the resources line
        (parse("does iop help after a suicide attempt", safety="mention"), {}, ["utter_faq/iop_duration",
                                                                               "utter_crisis_resources"], {}),
        (parse("pizza?", intent="out_of_scope"), {}, ["utter_out_of_scope"], {}),
    ],
)
def test_decide(message, slots, expected, slot_updates):
    decision = routing.decide(message, slots, FAQ_KEYS)
    assert decision.responses == expected
    for name, value in slot_updates.items():
        assert decision.slots.get(name) == value


@pytest.mark.parametrize(
    ("text", "entities", "sense", "expected"),
    [
        ("2", {}, "eye", "utter_iop_eye"),
        ("the third one", {}, "stock", "utter_iop_stock"),
        ("the rehab kind", {"iop_sense": "treatment"}, "treatment", "utter_faq/what_is_iop"),
        ("/choose_sense", {"iop_sense": "eye"}, "eye", "utter_iop_eye"),
    ],
)
def test_choosing_a_sense_answers_the_pending_question(text, entities, sense, expected):
    message = Parse(text, "choose_sense", 1.0, [], [], entities)
    decision = routing.decide(message, {"pending_answer": "what_is_iop"}, FAQ_KEYS)
    assert decision.responses == [expected]
    assert decision.slots["iop_sense"] == sense
    assert decision.slots["pending_answer"] is None


def test_a_pending_iop_cost_question_is_answered_in_the_chosen_sense():
    message = Parse("stocks", "iop_stock", 0.9, [], [], {"iop_sense": "stock"})
    assert routing.decide(message, {"pending_answer": "iop_cost"}, FAQ_KEYS).responses == ["utter_iop_stock"]
    message = Parse("the program", "faq", 0.9, [], [("what_is_iop", 0.5)], {"iop_sense": "treatment"})
    assert routing.decide(message, {"pending_answer": "iop_cost"}, FAQ_KEYS).responses == ["utter_faq/iop_cost"]


def test_a_new_question_after_the_clarifying_question_is_simply_answered():
    message = parse("does insurance pay for it", key="iop_insurance", iop_sense="treatment")
    decision = routing.decide(message, {"pending_answer": "what_is_iop", "iop_sense": "treatment"}, FAQ_KEYS)
    assert decision.responses == ["utter_faq/iop_insurance"]
    assert decision.slots["pending_answer"] is None


def test_unclear_choice_asks_again():
    message = Parse("hmm", "choose_sense", 0.9, [], [], {})
    assert routing.decide(message, {"pending_answer": "what_is_iop"}, FAQ_KEYS).responses == ["utter_ask_iop_sense"]


def test_unsure_answer_offers_did_you_mean_then_rephrase_then_a_person():
    unsure = Parse("cost or insurance", "faq", 0.9, [("faq", 0.9), ("human_handoff", 0.05)],
                   [("iop_cost", 0.40), ("iop_insurance", 0.38), ("how_to_start", 0.1)], {})
    first = routing.decide(unsure, {"misses": 0}, FAQ_KEYS)
    assert first.responses == ["utter_did_you_mean"]
    assert [b["key"] for b in first.buttons] == ["iop_cost", "iop_insurance", "how_to_start"]
    assert first.buttons[0]["payload"] == '/choose_answer{"answer_key": "iop_cost"}'
    second = routing.decide(unsure, {"misses": first.slots["misses"]}, FAQ_KEYS)
    assert second.responses == ["utter_ask_rephrase"]
    third = routing.decide(unsure, {"misses": second.slots["misses"]}, FAQ_KEYS)
    assert third.responses == ["utter_ask_rephrase", "utter_human_handoff"]
    assert third.slots["misses"] == 0


def test_choosing_a_did_you_mean_answer_utters_it():
    message = Parse("/choose_answer", "choose_answer", 1.0, [], [], {"answer_key": "iop_cost"})
    decision = routing.decide(message, {"misses": 1}, FAQ_KEYS)
    assert decision.responses == ["utter_faq/iop_cost"]
    assert decision.slots["misses"] == 0


def test_confident_answer_is_not_unsure():
    assert not routing.is_unsure(parse(conf=0.9, second=0.05))
    assert routing.is_unsure(parse(conf=0.3, second=0.2))
    assert routing.is_unsure(parse(conf=0.5, second=0.45))


def test_parse_from_latest_message():
    latest = {
        "text": "hw long is iop",
        "intent": {"name": "faq", "confidence": 0.97},
        "intent_ranking": [{"name": "faq", "confidence": 0.97}, {"name": "greet", "confidence": 0.01}],
        "entities": [{"entity": "acronym", "value": "iop"}, {"entity": "iop_sense", "value": "treatment"}],
        "response_selector": {"faq": {"ranking": [{"intent_response_key": "faq/iop_duration", "confidence": 0.8}]}},
    }
    p = Parse.from_latest_message(latest)
    assert p.intent == "faq" and p.selector_ranking == [("iop_duration", 0.8)]
    assert p.entities == {"acronym": "iop", "iop_sense": "treatment"}
    assert p.intent_ranking[1] == ("greet", 0.01)
    assert p.coverage == {}
    assert Parse.from_latest_message({**latest, "faq_coverage": {"iop_duration": 0.31}}).coverage == {
        "iop_duration": 0.31}


def test_a_sure_answer_far_from_all_its_phrasings_is_offered_not_given():
    # "is it ok to get a tattoo during the program": the selector sure of the 12-step answer, whose
    # phrasings are all far from the message
    far = dataclasses.replace(parse("is it ok to get a tattoo during the program", conf=0.95, second=0.02),
                              coverage={"iop_duration": 0.33, "iop_cost": 0.30})
    assert routing.is_far(far, None) and not routing.is_unsure(far)
    decision = routing.decide(far, {}, FAQ_KEYS, {"how_to_start": 0.2})
    assert decision.responses == ["utter_did_you_mean"]
    near = dataclasses.replace(far, coverage={"iop_duration": routing.MIN_COVERAGE + 0.01})
    assert routing.decide(near, {}, FAQ_KEYS).responses == ["utter_faq/iop_duration"]
    # no score (a button, an older stored message): judged as before
    assert routing.decide(dataclasses.replace(far, coverage={}), {}, FAQ_KEYS).responses == [
        "utter_faq/iop_duration"]


def test_a_short_follow_up_is_not_judged_far_without_its_context():
    follow_up = dataclasses.replace(parse("how long does it last", conf=0.95), coverage={"iop_duration": 0.2})
    assert not routing.is_far(follow_up, "what_is_iop")
    assert routing.decide(follow_up, {"topic": "what_is_iop", "iop_sense": "treatment"}, FAQ_KEYS).responses == [
        "utter_faq/iop_duration"]
    assert routing.is_far(follow_up, None)


def test_a_sense_choice_with_no_question_pending_is_read_as_a_question():
    message = Parse("tips for picking a rehab program", "choose_sense", 0.9, [("choose_sense", 0.9)],
                    [("choosing_program", 0.8), ("what_is_iop", 0.1)], {"iop_sense": "treatment"})
    assert routing.decide(message, {}, FAQ_KEYS | {"choosing_program"}).responses == ["utter_faq/choosing_program"]
    eye = Parse("the eye one", "choose_sense", 0.9, [], [], {"iop_sense": "eye"})
    assert routing.decide(eye, {}, FAQ_KEYS).responses == ["utter_iop_eye"]


def unsure(text: str, **entities) -> Parse:
    return Parse(text=text, intent="faq", intent_confidence=0.9, intent_ranking=[("faq", 0.9)],
                 selector_ranking=[("iop_cost", 0.3), ("iop_insurance", 0.28)], entities=entities)


@pytest.mark.parametrize(
    ("message", "slots", "expected"),
    [
        # the same question about someone else: the last answer again
        (unsure("and for teenagers?"), {"topic": "iop_schedule"}, ["utter_faq/iop_schedule"]),
        # "how is it different" after what PHP is: the comparison
        (unsure("and how is that different"), {"topic": "what_is_php"}, ["utter_faq/iop_vs_php"]),
        (parse("whats the other one", key="what_is_iop"), {"topic": "what_is_php"}, ["utter_faq/iop_vs_php"]),
        (unsure("y eso en que se diferencia"), {"topic": "what_is_php"}, ["utter_faq/iop_vs_php"]),
        # an eye conversation keeps its sense for an unclear short follow-up
        (unsure("what's too high?"), {"iop_sense": "eye", "topic": "iop_eye"}, ["utter_iop_eye"]),
        # ... and a number read as asking for medical advice is a question about the reading
        (parse("is 22 normal", intent="medical_advice"), {"iop_sense": "eye", "topic": "iop_eye"}, ["utter_iop_eye"]),
        # ... but asking what to do about it is the medical boundary's
        (parse("mine is 26 should i use my moms drops", intent="medical_advice"),
         {"iop_sense": "eye", "topic": "iop_eye"}, ["utter_medical_advice"]),
        (parse("is 22 normal", intent="medical_advice"), {}, ["utter_medical_advice"]),
        # a clear new question wins over the topic
        (parse("how much does it cost", key="iop_cost"), {"topic": "iop_schedule"}, ["utter_faq/iop_cost"]),
        # no topic yet: an unclear message is still a did-you-mean or a rephrase request
        (unsure("and for teenagers?"), {}, ["utter_did_you_mean"]),
        # a long unclear message is not a follow-up
        (unsure("my cousin has been talking about it for a while and for teenagers i wonder about many things"),
         {"topic": "iop_schedule"}, ["utter_did_you_mean"]),
    ],
)
def test_follow_ups_are_read_against_the_last_answer(message, slots, expected):
    assert routing.decide(message, slots, FAQ_KEYS | {"iop_schedule", "iop_vs_php"}).responses == expected


def misread(text: str, intent: str, key: str, probability: float, coverage: float) -> Parse:
    """A follow-up the classifier took for ``intent``; the phrasebook's classifier reads ``key``."""
    return Parse(text=text, intent=intent, intent_confidence=0.8, intent_ranking=[(intent, 0.8)],
                 selector_ranking=[("iop_cost", 0.6), ("iop_insurance", 0.2)], entities={},
                 coverage={key: coverage}, reading=[(key, probability), ("iop_cost", 0.01)])


@pytest.mark.parametrize(
    ("message", "slots", "expected"),
    [
        # read as a question about the facility, but it leans on the last answer and is clearly sign-up
        (misread("ok how do i sign up then", "facility_question", "how_to_start", 0.98, 0.64),
         {"topic": "iop_insurance", "iop_sense": "treatment"}, ["utter_faq/how_to_start"]),
        # the same in Spanish ("y ..." leans on the last answer too)
        (misread("y como me inscribo", "out_of_scope", "how_to_start", 0.9, 0.6),
         {"topic": "iop_insurance"}, ["utter_faq/how_to_start"]),
        # the reading is not sure enough: the classifier's own reply stands
        (misread("ok how do i sign up then", "facility_question", "how_to_start", 0.6, 0.64),
         {"topic": "iop_insurance"}, ["utter_facility_question"]),
        # far from every phrasing of the answer read ("how many calories in a big mac"): not a follow-up
        (misread("how many calories in a big mac", "out_of_scope", "how_to_start", 0.83, 0.17),
         {"topic": "iop_cost"}, ["utter_out_of_scope"]),
        # no topic: no follow-up
        (misread("ok how do i sign up then", "facility_question", "how_to_start", 0.98, 0.64), {},
         ["utter_facility_question"]),
        # not a treatment conversation: never a treatment answer
        (misread("ok and is that high", "facility_question", "how_to_start", 0.98, 0.64),
         {"topic": "iop_eye", "iop_sense": "eye"}, ["utter_iop_eye"]),
        # a message that does not lean on the last answer keeps its own reading
        (misread("where is your office located", "facility_question", "how_to_start", 0.98, 0.64),
         {"topic": "iop_cost"}, ["utter_facility_question"]),
    ],
)
def test_a_misread_follow_up_is_read_by_the_phrasebook_in_context(message, slots, expected):
    assert routing.decide(message, slots, FAQ_KEYS).responses == expected


def test_the_answer_given_becomes_the_topic():
    assert routing.decide(parse(), {}, FAQ_KEYS).slots["topic"] == "iop_duration"
    eye = parse("normal eye pressure?", intent="iop_eye")
    assert routing.decide(eye, {}, FAQ_KEYS).slots["topic"] == "iop_eye"
    assert "topic" not in routing.decide(parse("pizza?", intent="out_of_scope"), {}, FAQ_KEYS).slots


def test_two_questions_get_two_answers_in_the_order_asked():
    message = parse("how much is it and does insurance pay", key="iop_cost",
                    first_question="iop_cost", second_question="iop_insurance")
    decision = routing.decide(message, {}, FAQ_KEYS)
    assert decision.responses == ["utter_faq/iop_cost", "utter_faq/iop_insurance"]
    assert decision.slots["topic"] == "iop_insurance"
    # in an eye-pressure conversation the pair of treatment answers is not given
    assert routing.decide(message, {"iop_sense": "eye"}, FAQ_KEYS).responses == ["utter_iop_eye"]


@pytest.mark.parametrize("intent", ["out_of_scope", "facility_question", "medical_advice"])
def test_honest_replies_and_the_resources_line_on_every_path(intent):
    assert routing.decide(parse("x", intent=intent), {}, FAQ_KEYS).responses == [f"utter_{intent}"]
    mention = parse("x", intent=intent, safety="mention")
    assert routing.decide(mention, {}, FAQ_KEYS).responses == [f"utter_{intent}", "utter_crisis_resources"]


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("how much does it cost and does insurance pay for it", ["how much does it cost", "does insurance pay for it"]),
        ("how long is it? can i keep working", ["how long is it", "can i keep working"]),
        ("my son is 16, can he go to school during it? and how long does it last",
         ["my son is 16 can he go to school during it", "and how long does it last"]),
        ("is iop for drugs and alcohol", ["is iop for drugs and alcohol"]),  # "and" between nouns: one question
        ("what is iop", ["what is iop"]),
        # Spanish: "?" or "y" before a question word; a comma alone does not split
        ("cuanto cuesta el programa? y cuantas horas son", ["cuanto cuesta el programa", "y cuantas horas son"]),
        ("aceptan Medicaid y cuando puedo empezar", ["aceptan Medicaid", "cuando puedo empezar"]),
        ("¿qué es el IOP? ¿cuánto dura el programa?", ["qué es el IOP", "cuánto dura el programa"]),
        ("es para drogas y alcohol", ["es para drogas y alcohol"]),
        ("me cobraron dos veces, quien me ayuda", ["me cobraron dos veces, quien me ayuda"]),
        # a first part that asks without starting with a question word is a question, not context
        ("residential vs inpatient whats the difference? and which one costs more",
         ["residential vs inpatient whats the difference", "and which one costs more"]),
        # "&" and "+" join two questions as "and" does; not inside one ("3 + 4 hours")
        ("is there group therapy & do they test for drugs", ["is there group therapy", "do they test for drugs"]),
        ("how long is php + what does it cost", ["how long is php", "what does it cost"]),
        ("is it 3 + 4 hours a day", ["is it 3 + 4 hours a day"]),
    ],
)
def test_two_question_split(text, parts):
    from bot.nlu.two_questions import split

    assert split(text) == parts


def test_two_question_split_may_read_a_first_part_without_a_question_word_as_a_question():
    from bot.nlu.two_questions import split

    text = "price for iop per week plus how many weeks is it"
    assert split(text) == [text.replace(" plus", "")]  # first: context for the question after it
    assert split(text, context_first=False) == ["price for iop per week", "how many weeks is it"]


@pytest.mark.parametrize("text", ["iop?", "IOP", "what's an iop", "iop means?"])
def test_a_bare_acronym_asks_which_sense_whatever_the_classifier_guessed(text):
    message = parse(text, key="iop_cost", acronym="iop")
    decision = routing.decide(message, {}, FAQ_KEYS)
    assert decision.responses == ["utter_ask_iop_sense"]
    assert decision.slots["pending_answer"] == "what_is_iop"
    assert routing.decide(parse("how much is iop", key="iop_cost", acronym="iop"), {}, FAQ_KEYS).responses == [
        "utter_faq/iop_cost"]


def half_rejected(text: str, intent: str = "out_of_scope", conf: float = 0.6, top: float = 0.97, **entities) -> Parse:
    return Parse(text=text, intent=intent, intent_confidence=conf, intent_ranking=[(intent, conf), ("faq", 0.3)],
                 selector_ranking=[("iop_cost", top), ("iop_insurance", 0.01)], entities=entities)


@pytest.mark.parametrize(
    ("message", "slots", "expected"),
    [
        # in a conversation with a topic: a short, half-rejected question the selector is sure of is answered
        (half_rejected("is it cheaper tho"), {"topic": "iop_vs_inpatient"}, ["utter_faq/iop_cost"]),
        (half_rejected("how much is it", intent="help"), {"topic": "iop_schedule"}, ["utter_faq/iop_cost"]),
        # the first message of a conversation has no context: the classifier's reply stands
        (half_rejected("is it cheaper tho"), {}, ["utter_out_of_scope"]),
        # a sure off-topic reading stands, and so does an unsure selector
        (half_rejected("is it cheaper tho", conf=0.95), {"topic": "iop_schedule"}, ["utter_out_of_scope"]),
        (half_rejected("is it cheaper tho", top=0.6), {"topic": "iop_schedule"}, ["utter_out_of_scope"]),
        # a long message is a question of its own
        (half_rejected("what do you think about the prices of the new phones that came out this week then"),
         {"topic": "iop_schedule"}, ["utter_out_of_scope"]),
        # an eye or stock conversation is not read as a treatment question
        (half_rejected("is it cheaper tho"), {"topic": "iop_eye", "iop_sense": "eye"}, ["utter_iop_eye"]),
        # the facility's own details are never reread
        (half_rejected("where do i park", intent="facility_question"), {"topic": "iop_schedule"},
         ["utter_facility_question"]),
    ],
)
def test_short_questions_in_context_are_read_as_the_faq_question(message, slots, expected):
    assert routing.decide(message, slots, FAQ_KEYS | {"iop_schedule"}).responses == expected


@pytest.mark.parametrize(
    ("message", "slots", "expected"),
    [
        # a confident FAQ reading of a short question with no cue stays in the stock sense
        (parse("what happens to the price on day one", key="iop_cost"), {"iop_sense": "stock"}, ["utter_iop_stock"]),
        (parse("does it go up and down during the day", key="iop_what_to_expect"), {"iop_sense": "eye"},
         ["utter_iop_eye"]),
        # everyday words that only hint at treatment ("day", "cost") do not switch the sense back ...
        (parse("can regular ppl buy in on day one", key="iop_schedule", conf=0.3, iop_hint="treatment"),
         {"iop_sense": "stock"}, ["utter_iop_stock"]),
        (parse("does it go up and down during the day", key="iop_schedule", conf=0.3, iop_hint="treatment"),
         {"iop_sense": "eye"}, ["utter_iop_eye"]),
        # ... but they decide a conversation with no sense yet, and answer the sense question
        (parse("what is iop, is it every day", key="what_is_iop", acronym="iop", iop_hint="treatment"), {},
         ["utter_faq/what_is_iop"]),
        (parse("the treatment one", intent="nlu_fallback", iop_hint="treatment"), {"pending_answer": "what_is_iop"},
         ["utter_faq/what_is_iop"]),
        # a cue for the treatment sense switches back
        (parse("how much does rehab cost", key="iop_cost", iop_sense="treatment"), {"iop_sense": "eye"},
         ["utter_faq/iop_cost"]),
        # medical advice and the facility's details are never reread in the remembered sense
        (parse("should i use my moms drops", intent="medical_advice"), {"iop_sense": "eye"},
         ["utter_medical_advice"]),
    ],
)
def test_short_questions_stay_in_the_remembered_sense(message, slots, expected):
    assert routing.decide(message, slots, FAQ_KEYS).responses == expected


def test_a_number_after_the_eye_answer_is_a_reading_however_sure_the_off_topic_guess():
    sure_off_topic = parse("so is 23 too high", intent="out_of_scope")  # intent confidence 0.95
    assert routing.decide(sure_off_topic, {"iop_sense": "eye"}, FAQ_KEYS).responses == ["utter_iop_eye"]
    # without the eye sense, or without a number, it stays off-topic
    assert routing.decide(sure_off_topic, {"iop_sense": "stock"}, FAQ_KEYS).responses != ["utter_iop_eye"]
    no_number = parse("is the weather nice today", intent="out_of_scope")
    assert routing.decide(no_number, {"iop_sense": "eye"}, FAQ_KEYS).responses == ["utter_out_of_scope"]


def test_an_unsure_selector_is_trusted_when_the_meaning_is_clearly_nearest():
    """A clear question the selector ranks flatly (Spanish, fewer phrasings) is answered; a close
    second in meaning, or phrasings not near enough, keep the did-you-mean."""
    ranking = [("iop_cost", 0.38), ("choosing_program", 0.32), ("iop_vs_outpatient", 0.29)]

    def flat(coverage):
        return Parse("¿cuánto cuesta un programa intensivo ambulatorio?", "faq", 1.0, [("faq", 1.0)], ranking,
                     {}, coverage=coverage)

    clear = flat({"iop_cost": 0.79, "choosing_program": 0.71, "iop_vs_outpatient": 0.70})
    assert routing.decide(clear, {}, FAQ_KEYS | {"choosing_program", "iop_vs_outpatient"}).responses == [
        "utter_faq/iop_cost"]
    for coverage in ({"iop_cost": 0.79, "choosing_program": 0.77}, {"iop_cost": 0.70, "choosing_program": 0.50}):
        decision = routing.decide(flat(coverage), {}, FAQ_KEYS | {"choosing_program", "iop_vs_outpatient"})
        assert decision.responses == ["utter_did_you_mean"], coverage


def in_context(text: str, intent: str, key: str, alone: float, together: tuple[str, float]) -> Parse:
    return Parse(text=text, intent=intent, intent_confidence=0.9, intent_ranking=[(intent, 0.9)],
                 selector_ranking=[(key, 0.8), ("iop_cost", 0.1)], entities={}, coverage={key: 0.6},
                 reading=[(key, alone)], in_context=together)


@pytest.mark.parametrize(
    ("message", "slots", "expected"),
    [
        # more about the last answer: read with the previous message it is that answer, alone it is unsure
        (in_context("how often tho", "faq", "iop_schedule", 0.5, ("iop_duration", 0.95)),
         {"topic": "iop_duration"}, ["utter_faq/iop_duration"]),
        # alone it is a clear question of its own: that question wins
        (in_context("how much does it cost tho", "faq", "iop_cost", 0.95, ("iop_duration", 0.95)),
         {"topic": "iop_duration"}, ["utter_faq/iop_cost"]),
        # read together it is not surely the last answer
        (in_context("how often tho", "faq", "iop_schedule", 0.5, ("iop_duration", 0.6)),
         {"topic": "iop_duration"}, ["utter_faq/iop_schedule"]),
        # read alone as asking what the assistant can do: more about the last answer, for someone else
        (in_context("what about for teenagers", "help", "iop_schedule", 0.3, ("iop_duration", 0.95)),
         {"topic": "iop_duration"}, ["utter_faq/iop_duration"]),
        # ... but a plain request for help, or one that leans on nothing, gets the help reply
        (in_context("what can you do", "help", "iop_schedule", 0.3, ("iop_duration", 0.95)),
         {"topic": "iop_duration"}, ["utter_help"]),
        (in_context("what about for teenagers", "help", "iop_schedule", 0.3, ("iop_duration", 0.95)),
         {}, ["utter_help"]),
        # a message only half taken for the facility's question may be more of the topic
        (dataclasses.replace(in_context("can it be changed later on", "facility_question", "iop_schedule", 0.3,
                                        ("iop_duration", 0.95)), intent_confidence=0.47),
         {"topic": "iop_duration"}, ["utter_faq/iop_duration"]),
        # a question about the facility is never more of the topic
        (in_context("can i bring my dog to it", "facility_question", "iop_schedule", 0.5, ("iop_duration", 0.95)),
         {"topic": "iop_duration"}, ["utter_facility_question"]),
        # a long message does not lean on the last answer
        (in_context("so what i really wanted to know is how often they do that and also where and when exactly",
                    "faq", "iop_schedule", 0.5, ("iop_duration", 0.95)), {"topic": "iop_duration"},
         ["utter_faq/iop_schedule"]),
        # in an eye conversation the eye answer is given, never a treatment one
        (in_context("how often tho", "faq", "iop_schedule", 0.5, ("iop_duration", 0.95)),
         {"topic": "iop_duration", "iop_sense": "eye"}, ["utter_iop_eye"]),
    ],
)
def test_a_follow_up_read_with_the_previous_message_may_stay_on_the_topic(message, slots, expected):
    assert routing.decide(message, slots, FAQ_KEYS | {"iop_schedule"}).responses == expected


@pytest.mark.parametrize(("reading", "expected"), [
    # the selector torn between its first two answers; the classifier sure of the second: that one
    ([("what_is_iop", 0.85), ("iop_cost", 0.05)], ["utter_faq/what_is_iop"]),
    # ... or of the first
    ([("iop_duration", 0.9)], ["utter_faq/iop_duration"]),
    # not sure enough, or sure of an answer the selector did not rank first or second: still an offer
    ([("what_is_iop", 0.6)], ["utter_did_you_mean"]),
    ([("how_to_start", 0.95)], ["utter_did_you_mean"]),
])
def test_an_unsure_selector_is_settled_by_a_sure_reading_of_one_of_its_two_answers(reading, expected):
    torn = Parse(text="can someone explain it in normal words", intent="faq", intent_confidence=0.95,
                 intent_ranking=[("faq", 0.95)],
                 selector_ranking=[("iop_duration", 0.46), ("what_is_iop", 0.44), ("iop_cost", 0.05)],
                 entities={"iop_sense": "treatment"}, reading=reading)
    assert routing.decide(torn, {}, FAQ_KEYS).responses == expected


def test_a_sure_reading_does_not_turn_a_fallback_into_an_answer():
    fallback = Parse(text="what about my cat", intent="nlu_fallback", intent_confidence=0.3,
                     intent_ranking=[("nlu_fallback", 0.3)], selector_ranking=[("iop_cost", 0.5), ("what_is_iop", 0.4)],
                     entities={}, reading=[("iop_cost", 0.95)])
    assert routing.decide(fallback, {}, FAQ_KEYS).responses != ["utter_faq/iop_cost"]


@pytest.mark.parametrize(("ranking", "misses", "expected"), [
    # not understood, nothing to offer, most likely a question for the facility: said so honestly
    ([("nlu_fallback", 0.3), ("facility_question", 0.46), ("out_of_scope", 0.41)], 0, ["utter_facility_question"]),
    ([("nlu_fallback", 0.3), ("out_of_scope", 0.35), ("greet", 0.2)], 0, ["utter_out_of_scope"]),
    # too unsure, or another intent first: asked to rephrase, as before
    ([("nlu_fallback", 0.3), ("facility_question", 0.25), ("greet", 0.2)], 0, ["utter_ask_rephrase"]),
    ([("nlu_fallback", 0.3), ("thanks", 0.4), ("out_of_scope", 0.35)], 0, ["utter_ask_rephrase"]),
    # a second miss in a row is not guessed at: rephrase (then a person)
    ([("nlu_fallback", 0.3), ("facility_question", 0.46)], 1, ["utter_ask_rephrase"]),
])
def test_a_message_not_understood_gets_the_honest_reply_it_most_likely_needs(ranking, misses, expected):
    lost = Parse(text="como pongo una queja formal", intent="nlu_fallback", intent_confidence=0.3,
                 intent_ranking=ranking, selector_ranking=[("how_to_start", 0.4)], entities={})
    assert routing.decide(lost, {"misses": misses}, FAQ_KEYS).responses == expected


def test_the_help_reply_is_no_topic_of_its_own():
    helped = Parse(text="help", intent="help", intent_confidence=0.99, intent_ranking=[("help", 0.99)],
                   selector_ranking=[], entities={})
    decision = routing.decide(helped, {"topic": "iop_cost"}, FAQ_KEYS)
    assert decision.responses == ["utter_help"]
    assert "topic" not in decision.slots  # "is it covered" next still leans on the cost answer


@pytest.mark.parametrize(("by_clause", "slots", "expected"), [
    # one clause surely read as an answer the selector ranked among its first three: that answer
    (("iop_insurance", 0.7), {}, ["utter_faq/iop_insurance"]),
    (("how_to_start", 0.7), {}, ["utter_faq/how_to_start"]),
    # not sure enough, or an answer the selector did not rank: still an offer
    (("iop_insurance", 0.5), {}, ["utter_did_you_mean"]),
    (("what_is_php", 0.9), {}, ["utter_did_you_mean"]),
    # an eye conversation never gets a treatment answer for it
    (("iop_insurance", 0.9), {"iop_sense": "eye"}, ["utter_did_you_mean"]),
])
def test_a_message_not_understood_as_a_whole_may_be_answered_by_one_clause(by_clause, slots, expected):
    story = Parse(text="my daughter starts next week and we got a quote with a huge deductible. "
                       "is there a way to know what the plan pays before she starts", intent="faq",
                  intent_confidence=0.9, intent_ranking=[("faq", 0.9)],
                  selector_ranking=[("iop_cost", 0.3), ("iop_insurance", 0.28), ("how_to_start", 0.2)],
                  entities={}, by_clause=by_clause)
    assert routing.decide(story, slots, FAQ_KEYS).responses == expected


def test_clauses_are_sentences_and_comma_separated_parts_of_three_words_or_more():
    assert routing.clauses("ok so. my son is 19, he vapes. is it like rehab? thx") == [
        "my son is 19", "is it like rehab"]


def test_a_message_far_from_its_answers_phrasings_is_not_answered_by_a_clause():
    # sure selector, but the message is far in meaning from every how-to-start phrasing: the
    # facility's question (a wait list), not a torn selector
    far = Parse(text="how long is the wait list to get in, my sister is ready now", intent="faq",
                intent_confidence=0.99, intent_ranking=[("faq", 0.99), ("facility_question", 0.01)],
                selector_ranking=[("how_to_start", 0.99), ("after_iop", 0.01)], entities={},
                coverage={"how_to_start": 0.39, "after_iop": 0.35}, by_clause=("how_to_start", 0.9))
    assert routing.decide(far, {}, FAQ_KEYS).responses != ["utter_faq/how_to_start"]
