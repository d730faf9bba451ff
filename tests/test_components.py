"""Our NLU components as Rasa runs them: built through the recipe's API, on real Messages."""
from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.utils.spacy_utils import SpacyNLP
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.normalizer import DomainTermNormalizer
from bot.nlu.safety_guard import SafetyGuard
from bot.nlu.sense_tagger import SenseTagger
from bot.spacy_pipeline import PIPELINE_DIR


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    return LocalModelStorage(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def context():
    return ExecutionContext(GraphSchema({}), "test")


def build(cls, storage, context, config=None):
    return cls.create({**cls.get_default_config(), **(config or {})}, storage, Resource(cls.__name__), context)


@pytest.fixture(scope="module")
def spacy_parts(storage, context):
    nlp = build(SpacyNLP, storage, context, {"model": str(PIPELINE_DIR)})
    return nlp, nlp.provide()


def parse(spacy_parts, text: str) -> Message:
    nlp, model = spacy_parts
    message = Message({TEXT: text})
    nlp.process([message], model)
    return message


def test_normalizer_fixes_training_and_live_text_alike(storage, context):
    normalizer = build(DomainTermNormalizer, storage, context)
    training = TrainingData([Message({TEXT: "is intensiv outpatint covered by insurence", "intent": "faq"})])
    normalizer.process_training_data(training)
    live = normalizer.process([Message({TEXT: "is intensiv outpatint covered by insurence"})])[0]
    assert training.training_examples[0].get(TEXT) == live.get(TEXT) == "is intensive outpatient covered by insurance"
    assert normalizer.process([Message({TEXT: "/choose_sense"})])[0].get(TEXT) == "/choose_sense"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("my ophthalmologist says my iop is 24", {("iop_sense", "eye"), ("acronym", "iop")}),
        ("when is the ipo", {("iop_sense", "stock")}),
        ("php laravel question", {("php_sense", "programming"), ("acronym", "php")}),
        ("what is iop", {("acronym", "iop")}),
        ("my biopsy results", set()),
        # everyday words only hint at treatment; a treatment word, or PHP named with IOP, settles it
        ("does it go up and down during the day", {("iop_hint", "treatment")}),
        ("how much does iop cost", {("iop_hint", "treatment"), ("acronym", "iop")}),
        ("how much does iop rehab cost", {("iop_sense", "treatment"), ("acronym", "iop")}),
        ("php vs iop", {("iop_sense", "treatment"), ("php_sense", "treatment"), ("acronym", "iop")}),
        # PHP with version numbers is the language; with a count of days or a range it is not
        ("php 8 vs php 7 whats new", {("php_sense", "programming"), ("acronym", "php")}),
        ("is php 5 days a week", {("iop_hint", "treatment"), ("php_sense", "treatment"), ("acronym", "php")}),
        ("is php 3 or 4 times a week", {("iop_hint", "treatment"), ("php_sense", "treatment"), ("acronym", "php")}),
    ],
)
def test_sense_tagger_emits_entities(spacy_parts, storage, context, text, expected):
    tagger = build(SenseTagger, storage, context, {"cues_file": "bot/data/sense_cues.yml"})
    message = tagger.process([parse(spacy_parts, text)], spacy_parts[1])[0]
    assert {(e["entity"], e["value"]) for e in message.get("entities", [])} == expected


def test_safety_guard_overrides_the_intent_and_the_ranking(storage, context):
    guard = build(SafetyGuard, storage, context)
    ranked = [{"name": "faq", "confidence": 1.0}, {"name": "crisis", "confidence": 0.05}]
    at_risk = Message({TEXT: "i want to kill myself", "intent": ranked[0], "intent_ranking": ranked})
    mention = Message({TEXT: "does iop help people after a suicide attempt", "intent": {"name": "crisis",
                       "confidence": 0.6}, "intent_ranking": [{"name": "crisis", "confidence": 0.6}, ranked[0]]})
    ordinary = Message({TEXT: "how much does iop cost", "intent": ranked[0], "intent_ranking": ranked})
    guard.process([at_risk, mention, ordinary])
    assert at_risk.get("intent") == {"name": "crisis", "confidence": 1.0}
    assert at_risk.get("intent_ranking")[0]["name"] == "crisis"
    assert all(r["confidence"] <= 0.5 for r in at_risk.get("intent_ranking")[1:]), "no near tie for the fallback"
    assert mention.get("intent")["name"] == "faq"
    assert ("safety", "mention") in {(e["entity"], e["value"]) for e in mention.get("entities", [])}
    assert ordinary.get("intent")["name"] == "faq" and not ordinary.get("entities")


def test_safety_guard_keeps_a_confident_classifier_crisis_and_drops_an_unsure_one(storage, context):
    from bot.nlu.safety_guard import assess

    guard = build(SafetyGuard, storage, context)
    assert assess("nothing matters and the fog never lifts") is None  # only the classifier sees the risk
    sure = Message({TEXT: "nothing matters and the fog never lifts", "intent": {"name": "crisis", "confidence": 0.95},
                    "intent_ranking": [{"name": "crisis", "confidence": 0.95}, {"name": "faq", "confidence": 0.03}]})
    unsure = Message({TEXT: "i'm dying to know the price", "intent": {"name": "crisis", "confidence": 0.5},
                      "intent_ranking": [{"name": "crisis", "confidence": 0.5}, {"name": "faq", "confidence": 0.4}]})
    guard.process([sure, unsure])
    assert sure.get("intent")["name"] == "crisis"
    assert unsure.get("intent")["name"] == "faq"


@pytest.mark.parametrize(("text", "noise"), [
    ("zxq wvvk plorf", True), ("asdfgh", True), ("qqq blorp znarf", True),
    ("how long is iop", False), ("cuanto cuesta", False), ("thx", False), ("iop??", False), ("12", False),
    ("wat r the hrs", False), ("medicaid", False),
])
def test_gibberish_guard(storage, context, text, noise):
    from bot.nlu.gibberish import GibberishGuard

    guard = build(GibberishGuard, storage, context)
    message = Message({TEXT: text, "intent": {"name": "thanks", "confidence": 0.9},
                       "intent_ranking": [{"name": "thanks", "confidence": 0.9}]})
    guard.process([message])
    assert (message.get("intent")["name"] == "nlu_fallback") is noise


def test_two_question_reader_marks_two_questions_and_leaves_one_alone(storage, context):
    from bot.nlu.two_questions import TwoQuestionReader

    reader = build(TwoQuestionReader, storage, context)
    two = Message({TEXT: "how much does iop cost and does my insurance cover it"})
    one = Message({TEXT: "how much does iop cost"})
    button = Message({TEXT: '/choose_sense{"iop_sense": "eye"}'})
    # "it" alone says too little; read as the program, the second part asks about coverage
    pronoun = Message({TEXT: "how much is the program and does my plan cover it"})
    # a first question without a question word, read as context first, then as a question of its own
    no_question_word = Message({TEXT: "price of iop per week plus how many weeks will it go on"})
    # ... but then the second part's "it" is the first part's subject, not a question about IOP
    context = Message({TEXT: "my doctor wants me in a partial hospitalization program, what is it"})
    reader.process([two, one, button, pronoun, no_question_word, context])
    for message in (two, pronoun):
        found = {e["entity"]: e["value"] for e in message.get("entities", [])}
        assert found == {"first_question": "iop_cost", "second_question": "iop_insurance"}, message.get(TEXT)
    found = {e["entity"]: e["value"] for e in no_question_word.get("entities", [])}
    assert found == {"first_question": "iop_cost", "second_question": "iop_duration"}
    assert one.get("entities", []) == [] and button.get("entities", []) == [] and context.get("entities", []) == []


def test_coverage_scorer_scores_the_ranked_answers_by_meaning(storage, context):
    from bot.nlu.coverage import COVERAGE, CoverageScorer
    from bot.nlu.sentence_encoder import SentenceEncoder

    encoder = build(SentenceEncoder, storage, context)
    scorer = build(CoverageScorer, storage, context)
    ranking = {"faq": {"ranking": [{"intent_response_key": "faq/iop_cost", "confidence": 0.7},
                                   {"intent_response_key": "faq/twelve_step", "confidence": 0.2}]}}
    near = Message({TEXT: "how much does an intensive outpatient program cost", "response_selector": ranking})
    far = Message({TEXT: "is it ok to get a tattoo during the program", "response_selector": ranking})
    unfeaturized = Message({TEXT: "how much does an intensive outpatient program cost", "response_selector": ranking})
    button = Message({TEXT: "/greet", "response_selector": ranking})
    encoder.process([near, far, button])
    scorer.process([near, far, unfeaturized, button])
    assert set(near.get(COVERAGE)) == {"iop_cost", "twelve_step"} | set(near.get("faq_reading"))
    assert near.get(COVERAGE)["iop_cost"] > 0.7 > near.get(COVERAGE)["twelve_step"]
    assert far.get(COVERAGE)["twelve_step"] < 0.45 and far.get(COVERAGE)["iop_cost"] < 0.45
    # read from the encoder's feature or encoded afresh: the same score
    assert unfeaturized.get(COVERAGE)["iop_cost"] == pytest.approx(near.get(COVERAGE)["iop_cost"], abs=1e-3)
    assert button.get(COVERAGE) is None
    assert "faq_coverage" in near.as_dict(only_output_properties=True)
    # the phrasebook classifier's reading: the likeliest three answers, the cost one first
    reading = near.get("faq_reading")
    assert len(reading) == 3 and max(reading, key=reading.get) == "iop_cost" and reading["iop_cost"] > 0.5
    assert set(reading) <= set(near.get(COVERAGE))  # each read answer has its coverage too
    assert "faq_reading" in near.as_dict(only_output_properties=True)


def test_two_question_reader_may_ask_less_sureness_of_a_spanish_message(storage, context):
    from bot.nlu.two_questions import TwoQuestionReader

    english = "how much does iop cost and does my insurance cover it"
    spanish = "cuanto cuesta el programa intensivo? y el seguro lo cubre"
    strict = {"min_probability": 0.999}

    def found(config: dict, text: str) -> dict:
        message = Message({TEXT: text})
        build(TwoQuestionReader, storage, context, config).process([message])
        return {e["entity"]: e["value"] for e in message.get("entities", [])}

    assert found(strict, english) == {} and found(strict, spanish) == {}
    lenient_es = {**strict, "min_probability_es": 0.3}
    assert found(lenient_es, english) == {}  # English keeps the strict sureness
    assert found(lenient_es, spanish) == {"first_question": "iop_cost", "second_question": "iop_insurance"}
