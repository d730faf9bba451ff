"""Which answer a message gets: the answer key, its sense, and the did-you-mean offer.

Plain functions over plain data (the latest message's parse and the slots), so
they are tested without a tracker. ``bot/dialogue/policy.py`` runs them inside the Rasa server.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

from bot.content import FAQ_INTENT as FAQ
from bot.content import OFFERABLE_INTENT_KEYS

SENSE_ORDER = ("treatment", "eye", "stock")  # the order of utter_ask_iop_sense's buttons
SENSE_ANSWERS = {"eye": "iop_eye", "stock": "iop_stock"}
# Keys whose question hinges on what the acronym means: asked about when no sense is known.
ACRONYM_KEYS = {"what_is_iop"}
SENSE_ENTITIES = ("iop_sense", "iop_hint")  # a cue for the IOP sense, then one from everyday words only
SENSE_INTENTS = {"iop_eye": "eye", "iop_stock": "stock"}  # intents that name a sense of their own
# What the assistant does not answer, said plainly: unrelated, the facility's own details, medical advice.
HONEST_REPLIES = {"out_of_scope", "facility_question", "medical_advice"}
# Responses that ask instead of answering: they leave the pending question and the miss count alone
# (the did-you-mean branch sets the count itself).
ASKING = {"utter_ask_iop_sense", "utter_did_you_mean", "utter_ask_rephrase"}

# A short message that leans on the previous answer: "and for teens?", "is that covered?",
# "what about evenings", "and the other one?".
FOLLOW_UP = re.compile(
    r"^(?:and|&|also|so|but|ok(?:ay)?|what about|how about|same (?:for|with)|what if|is (?:it|that|this)|"
    r"does (?:it|that|this)|do (?:they|you)|are (?:they|there)|can (?:i|they|you)|would (?:it|that)|"
    r"for|with|w/|the other|which|what's too|whats too|too|how (?:many|much|long|often|high|low)|"
    # Spanish: "y si no tengo?", "y para adolescentes?", "cómo se mide eso", "cuántos días?"
    r"y|e|o|tambi[eé]n|entonces|pero|para|con|qu[eé] tal|c[oó]mo (?:es|se)|cu[aá]nt[oa]s?)\b"
    r"|\b(?:it|that|this|they|them|those|the other one|eso|esto|ese|esa|el otro|la otra)\b", re.I)
FOLLOW_UP_MAX_WORDS = 8
SHORT_WORDS = 10  # in an eye or stock conversation, an unclear message this short stays in that sense
SURE_OUT_OF_SCOPE = 0.9
# Asking how the last answer's subject differs from IOP.
COMPARE = re.compile(r"\b(?:the other one|other one|different|difference|differ|diff|compare|vs|versus|better|"
                     r"el otro|la otra|diferencia|diferencias|diferente|diferencian?|distint[oa]|compara|mejor)\b",
                     re.I)
# Nothing but the acronym, maybe with "what is" around it: "iop?", "IOP", "what's an I.O.P."
BARE_ACRONYM = re.compile(r"^\W*(?:(?:so|ok|hi|hey|um|what|whats|what's|is|an?|the|does|do|mean|means|stand|stands|for|"
                          r"about|tell|me|explain|define|\?)\W*)*iops?\W*(?:(?:mean|means|stand|stands|for|is|\?)\W*)*$",
                          re.I)
COMPARISONS = {"what_is_php": "iop_vs_php", "what_is_outpatient": "iop_vs_outpatient",
               "iop_vs_inpatient": "inpatient_vs_residential"}

# Did-you-mean thresholds (README, "How a message is understood", says how they were chosen).
MIN_SELECTOR_CONFIDENCE = 0.5
MIN_SELECTOR_MARGIN = 0.2
MIN_CANDIDATE_SCORE = 0.08
# An answer whose known phrasings are all this far (or farther) in meaning from the message is a
# guess, however sure the selector is (bot/nlu/coverage.py). On the development set, 0.45 to 0.50
# turned wrong answers to uncovered questions into did-you-mean offers and changed no right answer;
# the lowest right answer scored 0.508 (English) and 0.571 (Spanish).
MIN_COVERAGE = 0.45
# An unsure selector is trusted when the message is clearly nearest in meaning to its first answer's
# phrasings (a clear Spanish question the selector, trained on fewer Spanish phrasings, ranks flatly).
CLEAR_COVERAGE, CLEAR_COVERAGE_LEAD = 0.75, 0.05
# In a conversation that has a topic, a short question the classifier only half rejects
# ("how long does it last", "is it cheaper tho") is an FAQ question when the selector is this sure
# of its answer (chosen on the development set, README "How a message is understood").
CONTEXT_SELECTOR_CONFIDENCE = 0.9
CONTEXT_MAX_WORDS = 8
HALF_REJECTED = {"out_of_scope", "help", "nlu_fallback"}
# A short follow-up the classifier takes for something else ("ok how do i sign up then" after the
# insurance answer, read as a question about the facility) is the FAQ question the phrasebook's
# classifier is this sure of (bot/nlu/coverage.py, faq_reading), unless the message is far from all
# of that answer's phrasings ("how many calories in a big mac": 0.17; the lowest right follow-up on
# the development set, "is that covered tho?", 0.34). Both chosen on the development set.
CONTEXT_READING, CONTEXT_MIN_COVERAGE = 0.7, 0.3
# A follow-up that refers back ("how often tho", "can it be changed later if it's not working") and
# that, read on its own, the phrasebook's classifier is not sure of, asks more about the last answer
# when the previous message and this one read together are this surely that answer, and the message
# alone is less than ALONE_UNSURE sure of another (both chosen on the development set, 0.85 and 0.7
# with the classifier on meaning alone; with the character n-grams beside it the classifier is surer,
# and 0.8 and 0.8 kept the right follow-ups, with the same 12 of 279 dev uncovered and medical messages
# asked after a treatment answer given an FAQ answer, as at 0.85 and 0.7). Such a message may be a
# little longer than a FOLLOW_UP.
STAY_ON_TOPIC, REFERS_BACK_MAX_WORDS = 0.8, 12
ALONE_UNSURE = 0.8
MISREAD_FOLLOW_UPS = HALF_REJECTED | {"facility_question"}
# What a message that may ask more about the last answer was read as ("what about for teenagers": help).
MAY_ASK_MORE = {FAQ, "nlu_fallback", "help"}
# ... or, less surely than this, as off-topic or the facility's question ("can it be changed later on"
# after the treatment plan answer: facility 0.47). No development-set answer changes with it (English
# and Spanish, alone and after a treatment answer); the service-dog question is far surer.
UNSURE_INTENT = 0.6
# The selector unsure between two answers, the phrasebook's classifier this sure of one of them decides.
SURE_READING = 0.8
# A message not understood, with no two answers to offer, that the classifier most likely takes for a
# question about the facility or an off-topic one, at least this likely: that honest reply, not "rephrase".
HONEST_GUESS = 0.3
# Something only the facility can answer about itself, or a medicine (bot/nlu/cues.py): with one, a
# message read as off-topic (or, for a medicine, as the facility's question), or not understood while
# the classifier ranks that reply among its first two readings, gets the facility's or the medical
# boundary's reply; a question about using a medicine named by name ("use") always gets the boundary's.
FACILITY_CUE, MEDICAL_CUE = "facility_cue", "medical_cue"
# A message not understood as a whole, in clauses ("so my son has been vaping since he dropped out.
# do i just show up or is there an assessment first"): the answer one clause is read as at least this
# surely, when the selector ranked it among its first three. On the development set 0.6 answered six
# such messages rightly and none wrongly (the right readings were 0.62 to 0.97).
CLAUSE_READING = 0.6
CLAUSE = re.compile(r"[.?!;]+\s*|,\s+|\s+(?:but|so|tho|though|pero|entonces)\s+", re.I)
CLAUSE_MIN_WORDS = 3
MAX_MISSES_BEFORE_HANDOFF = 2
# A number in a short message after the eye answer is a pressure reading ("so is 23 too high"),
# however sure the classifier is that the message is off-topic.
READING = re.compile(r"(?<![\d.])\d{1,2}(?:\.\d)?(?![\d.])")
READING_MAX_WORDS = 6

_ORDINALS = {"1": 0, "one": 0, "first": 0, "2": 1, "two": 1, "second": 1, "3": 2, "three": 2, "third": 2}


@dataclass
class Decision:
    responses: list[str] = field(default_factory=list)
    slots: dict[str, Any] = field(default_factory=dict)
    buttons: list[dict[str, str]] = field(default_factory=list)  # for utter_did_you_mean


@dataclass(frozen=True)
class Parse:
    """What the router needs from the latest message."""

    text: str
    intent: str
    intent_confidence: float
    intent_ranking: list[tuple[str, float]]
    selector_ranking: list[tuple[str, float]]  # (answer key, confidence), best first
    entities: dict[str, str]
    coverage: dict[str, float] = field(default_factory=dict)  # answer key -> nearness of its phrasings
    reading: list[tuple[str, float]] = field(default_factory=list)  # the phrasebook classifier's, best first
    # the phrasebook classifier's first answer for the previous message and this one read together
    # (set by the policy, which knows the previous message, for a follow-up that may stay on the topic)
    in_context: tuple[str, float] | None = None
    # the phrasebook classifier's surest answer for one of the message's clauses (set by the policy,
    # for a message not understood as a whole that has two clauses or more)
    by_clause: tuple[str, float] | None = None

    @classmethod
    def from_latest_message(cls, message: dict[str, Any]) -> Parse:
        intent = message.get("intent") or {}
        selector = (message.get("response_selector") or {}).get(FAQ) or {}
        ranking = [
            (r.get("intent_response_key", "").split("/", 1)[-1], float(r.get("confidence") or 0.0))
            for r in selector.get("ranking") or []
        ]
        entities: dict[str, str] = {}
        for ent in message.get("entities") or []:
            entities.setdefault(ent.get("entity"), str(ent.get("value")))
        return cls(
            text=message.get("text") or "",
            intent=intent.get("name") or "",
            intent_confidence=float(intent.get("confidence") or 0.0),
            intent_ranking=[
                (r["name"], float(r.get("confidence") or 0.0)) for r in message.get("intent_ranking") or []
            ],
            selector_ranking=ranking,
            entities=entities,
            coverage={str(k): float(v) for k, v in (message.get("faq_coverage") or {}).items()},
            reading=sorted(((str(k), float(v)) for k, v in (message.get("faq_reading") or {}).items()),
                           key=lambda kv: kv[1], reverse=True),
        )


NOT_TOPICS = {"crisis_resources", "out_of_scope", "facility_question", "medical_advice", "php_programming",
              "human_handoff", "help"}


def answer_key(response: str) -> str:
    """utter_faq/iop_cost -> iop_cost; utter_iop_eye -> iop_eye."""
    name = response.removeprefix("utter_")
    return name.split("/", 1)[1] if "/" in name else name


def response_for(key: str, faq_keys: set[str]) -> str:
    return f"utter_{FAQ}/{key}" if key in faq_keys else f"utter_{key}"


def sense_from_choice(parse: Parse) -> str | None:
    """The sense a reply to the clarifying question picks: a cue, or a number/ordinal."""
    for name in SENSE_ENTITIES:
        if parse.entities.get(name) in SENSE_ORDER:
            return parse.entities[name]
    for word in re.findall(r"[a-z0-9]+", parse.text.lower()):
        if word in _ORDINALS:
            return SENSE_ORDER[_ORDINALS[word]]
    return None


def _is_choice(parse: Parse, pending: str | None) -> bool:
    if parse.intent == "choose_sense":
        return True
    if not pending or not any(name in parse.entities for name in SENSE_ENTITIES):
        return False
    # a short reply with a cue ("stocks", "the rehab kind") answers the question asked
    return len(parse.text.split()) <= 4 or parse.intent in SENSE_INTENTS


def answer_in_sense(key: str, sense: str | None, faq_keys: set[str]) -> Decision:
    """The answer for ``key`` once the sense is known (treatment when None)."""
    if sense in SENSE_ANSWERS:
        return Decision([f"utter_{SENSE_ANSWERS[sense]}"], {"iop_sense": sense})
    slots = {"iop_sense": "treatment"} if key in faq_keys else {}
    return Decision([response_for(key, faq_keys)], slots)


def _candidates(parse: Parse, faq_keys: set[str]) -> list[tuple[str, float]]:
    """Answer keys ranked by P(intent) * P(key | faq) for FAQ keys, P(intent) otherwise."""
    p_faq = dict(parse.intent_ranking).get(FAQ, 0.0)
    if parse.intent == FAQ:
        p_faq = max(p_faq, parse.intent_confidence)
    scores: dict[str, float] = {}
    for key, conf in parse.selector_ranking:
        if key in faq_keys:
            scores[key] = max(scores.get(key, 0.0), p_faq * conf)
    for name, conf in parse.intent_ranking:
        if name in OFFERABLE_INTENT_KEYS:
            scores[name] = max(scores.get(name, 0.0), conf)
    return sorted(scores.items(), key=lambda kv: kv[1], reverse=True)


def did_you_mean(parse: Parse, faq_keys: set[str], misses: float, extra: dict[str, float] | None = None) -> Decision:
    """First miss: offer two or three likely answers; then ask to rephrase; then a person."""
    misses = float(misses or 0) + 1
    if misses > MAX_MISSES_BEFORE_HANDOFF:
        return Decision(["utter_ask_rephrase", "utter_human_handoff"], {"misses": 0.0})
    ranked = dict(_candidates(parse, faq_keys))
    for key, bonus in (extra or {}).items():
        ranked[key] = ranked.get(key, 0.0) + bonus
    offers = [k for k, s in sorted(ranked.items(), key=lambda kv: kv[1], reverse=True) if s >= MIN_CANDIDATE_SCORE][:3]
    if misses == 1 and len(offers) < 2 and (honest := _honest_guess(parse)):
        return Decision([f"utter_{honest}"])  # "como pongo una queja formal": the facility's to answer
    if misses > 1 or len(offers) < 2:
        return Decision(["utter_ask_rephrase"], {"misses": misses})
    buttons = [{"key": key, "payload": f'/choose_answer{{"answer_key": "{key}"}}'} for key in offers]
    return Decision(["utter_did_you_mean"], {"misses": misses}, buttons)


def _real_ranking(parse: Parse) -> list[tuple[str, float]]:
    """The classifier's intents with their confidence, best first, without the fallback."""
    return [(name, conf) for name, conf in parse.intent_ranking if name != "nlu_fallback"]


# A cue (bot/nlu/cues.py), the reply it asks for, and the readings it turns into that reply.
CUED_REPLIES = ((MEDICAL_CUE, "medical_advice", {"out_of_scope", "facility_question"}),
                (FACILITY_CUE, "facility_question", {"out_of_scope"}))


def _cued_reply(parse: Parse, unsure: bool) -> str | None:
    """The honest reply a cue asks for: when the message was read as one of the cue's readings, or is
    a guess whose classifier ranks that reply among its first two real intents; else None."""
    ranked = [name for name, _ in _real_ranking(parse)[:2]]
    for entity, reply, readings in CUED_REPLIES:
        if parse.entities.get(entity) and (parse.intent in readings or unsure and reply in ranked):
            return reply
    return None


def _honest_guess(parse: Parse) -> str | None:
    """For a message not understood and near no answer: the honest reply (the facility's question,
    off-topic) the classifier ranks first among the real intents, when it gives it at least
    HONEST_GUESS; else None (the visitor is asked to rephrase)."""
    real = _real_ranking(parse)
    if real and real[0][0] in {"facility_question", "out_of_scope"} and real[0][1] >= HONEST_GUESS:
        return real[0][0]
    return None


def is_unsure(parse: Parse) -> bool:
    """True when the FAQ answer is a guess: low selector confidence or a near tie."""
    if parse.intent != FAQ or not parse.selector_ranking:
        return False
    top = parse.selector_ranking[0][1]
    second = parse.selector_ranking[1][1] if len(parse.selector_ranking) > 1 else 0.0
    return top < MIN_SELECTOR_CONFIDENCE or top - second < MIN_SELECTOR_MARGIN


def is_guess(parse: Parse, topic: str | None) -> bool:
    """True when the understanding is no answer to act on: a fallback, an unsure or a far FAQ answer."""
    return parse.intent == "nlu_fallback" or is_unsure(parse) and not is_clearly_near(parse) or is_far(parse, topic)


def is_clearly_near(parse: Parse) -> bool:
    """True when the FAQ answer's phrasings are near the message and clearly nearer than the runner-up's."""
    if parse.intent != FAQ or len(parse.selector_ranking) < 2:
        return False
    first, second = (parse.coverage.get(key) for key, _ in parse.selector_ranking[:2])
    return first is not None and first >= CLEAR_COVERAGE and first - (second or 0.0) >= CLEAR_COVERAGE_LEAD


def is_far(parse: Parse, topic: str | None) -> bool:
    """True when the FAQ answer's known phrasings are all far in meaning from the message. Not for
    a short question that leans on the last answer ("how long does it last"): without its context
    it is near nothing."""
    if parse.intent != FAQ or not parse.selector_ranking or topic and _leans_on_context(parse.text):
        return False
    key = parse.selector_ranking[0][0]
    return key in parse.coverage and parse.coverage[key] < MIN_COVERAGE


def decide(
    parse: Parse,
    slots: dict[str, Any],
    faq_keys: set[str],
    extra_candidates: dict[str, float] | None = None,
) -> Decision:
    """The router: the answer for the latest message, given the remembered slots."""
    return _finish(_route(parse, slots, faq_keys, extra_candidates), parse)


def _route(
    parse: Parse,
    slots: dict[str, Any],
    faq_keys: set[str],
    extra_candidates: dict[str, float] | None,
) -> Decision:
    pending = slots.get("pending_answer")
    remembered = slots.get("iop_sense")  # already updated from this message's cue by Rasa
    cue = parse.entities.get("iop_sense")
    if cue is None and remembered not in SENSE_ANSWERS:
        cue = parse.entities.get("iop_hint")  # "how many days a week": treatment, unless eye or stock talk
    if cue is None and parse.entities.get("safety") == "mention":
        cue = "treatment"  # suicide, self-harm or overdose: never about eye pressure or stocks

    if parse.intent == "choose_answer" and parse.entities.get("answer_key"):
        return answer_in_sense(parse.entities["answer_key"], None, faq_keys)

    if parse.intent == "choose_sense" and not pending:
        # a reply to a question never asked: read it as a question of its own
        parse = dataclasses.replace(parse, intent=FAQ if parse.selector_ranking else "nlu_fallback")

    if _is_choice(parse, pending):
        sense = sense_from_choice(parse)
        if sense is None:
            return Decision(["utter_ask_iop_sense"])
        decision = answer_in_sense(pending or "what_is_iop", sense, faq_keys)
        decision.slots["iop_sense"] = sense
        return decision

    # a clear cue for another sense decides before any doubt about the FAQ answer
    if parse.entities.get("php_sense") == "programming":
        return Decision(["utter_php_programming"])
    if cue in SENSE_ANSWERS and parse.intent not in {"out_of_scope", "facility_question", "human_handoff"}:
        return Decision([f"utter_{SENSE_ANSWERS[cue]}"], {"iop_sense": cue})

    if parse.entities.get(MEDICAL_CUE) == "use":
        return Decision(["utter_medical_advice"])  # "can i stop my lexapro once i start iop"
    pair = _two_questions(parse, faq_keys)
    if pair and (cue or remembered or "treatment") == "treatment" and parse.intent in {FAQ, "nlu_fallback"}:
        first, second = (answer_in_sense(key, "treatment", faq_keys) for key in pair)
        return Decision(first.responses + second.responses, {"iop_sense": "treatment"})

    parse = _settled_by_reading(_in_context(parse, slots.get("topic"), remembered, cue))
    unsure = is_guess(parse, slots.get("topic"))
    if remembered in SENSE_ANSWERS and cue is None and _short(parse.text) and (
        unsure or parse.intent in {FAQ, "help"} or parse.intent == "out_of_scope"
        and (parse.intent_confidence < SURE_OUT_OF_SCOPE or remembered == "eye" and READING.search(parse.text))
        or parse.intent == "facility_question" and _leans_on_context(parse.text)
        or parse.intent == "medical_advice" and remembered == "eye" and _asks_about_a_reading(parse.text)
    ):
        # "mine was 24, is that high?" after the eye answer (even when read as a question about the
        # facility: it leans on the last answer, or as asking for medical advice: the eye answer says
        # what the numbers mean and to have them checked), "what happens to the price on day one" after
        # the stock one: with no cue for another sense, a short question stays in the conversation's sense
        return Decision([f"utter_{SENSE_ANSWERS[remembered]}"])
    if _stays_on_topic(parse, slots.get("topic"), cue or remembered):
        return answer_in_sense(slots["topic"], cue or remembered, faq_keys)
    follow_up = _follow_up(parse, slots.get("topic"), unsure, cue or remembered)
    if follow_up:
        return answer_in_sense(follow_up, cue or remembered, faq_keys)

    cued = _cued_reply(parse, unsure)
    if cued and not unsure:
        return Decision([f"utter_{cued}"])  # "donde estan ubicados", "... energy drinks on concerta"
    if unsure:
        clause_key = _clause_answer(parse, slots.get("topic"))
        if clause_key and (cue or remembered or "treatment") == "treatment":
            return answer_in_sense(clause_key, "treatment", faq_keys)
        if cued:
            return Decision([f"utter_{cued}"])  # "hay estacionamiento?", "can he keep his meds in the program"
        if parse.entities.get("acronym") == "iop" and cue is None and remembered is None:
            return Decision(["utter_ask_iop_sense"], {"pending_answer": "what_is_iop"})  # "iop??"
        return did_you_mean(parse, faq_keys, slots.get("misses") or 0.0, extra_candidates)

    if parse.intent in HONEST_REPLIES or parse.intent == "help":
        return Decision([f"utter_{parse.intent}"])

    key = parse.selector_ranking[0][0] if parse.intent == FAQ and parse.selector_ranking else parse.intent
    if parse.intent in SENSE_INTENTS:
        if cue == "treatment" and parse.selector_ranking:
            key = parse.selector_ranking[0][0]  # a treatment cue outweighs the classifier's guess
        else:
            sense = SENSE_INTENTS[parse.intent]
            return Decision([f"utter_{SENSE_ANSWERS[sense]}"], {"iop_sense": sense})

    sense = cue or remembered
    hinges_on_acronym = key in ACRONYM_KEYS or BARE_ACRONYM.match(parse.text) is not None
    if sense is None and hinges_on_acronym and parse.entities.get("acronym") == "iop":
        return Decision(["utter_ask_iop_sense"], {"pending_answer": key if key in ACRONYM_KEYS else "what_is_iop"})
    return answer_in_sense(key, sense, faq_keys)


def _in_context(parse: Parse, topic: str | None, remembered: str | None, cue: str | None) -> Parse:
    """A short question, in a treatment conversation that has a topic, that the classifier reads as
    off-topic or as asking for help without being sure, but whose FAQ answer the selector is sure of:
    read it as that FAQ question ("how much does it cost" right after the schedule answer)."""
    if not topic or (cue or remembered or "treatment") != "treatment" or not parse.selector_ranking:
        return parse
    if parse.intent not in HALF_REJECTED or len(parse.text.split()) > CONTEXT_MAX_WORDS:
        return parse
    if parse.intent != "nlu_fallback" and parse.intent_confidence >= SURE_OUT_OF_SCOPE:
        return parse
    if parse.selector_ranking[0][1] < CONTEXT_SELECTOR_CONFIDENCE:
        return parse
    return dataclasses.replace(parse, intent=FAQ)


def _settled_by_reading(parse: Parse) -> Parse:
    """An FAQ question the selector is unsure of between its first two answers ("can someone explain
    iop therapy in normal words": what IOP is, or what outpatient care is) that the phrasebook's
    classifier is sure is one of those two: that one, as if the selector were sure."""
    if parse.intent != FAQ or not parse.reading or not is_unsure(parse):
        return parse
    key, probability = parse.reading[0]
    if probability < SURE_READING or key not in [k for k, _ in parse.selector_ranking[:2]]:
        return parse
    rest = [(k, conf) for k, conf in parse.selector_ranking if k != key]
    return dataclasses.replace(parse, selector_ranking=[(key, 1.0), *rest])


def clauses(text: str) -> list[str]:
    """The message's clauses of at least CLAUSE_MIN_WORDS words (sentences, comma-separated parts)."""
    return [part for part in CLAUSE.split(text) if part and len(part.split()) >= CLAUSE_MIN_WORDS]


def _clause_answer(parse: Parse, topic: str | None) -> str | None:
    """The answer one clause of a message not understood as a whole is surely read as, when the
    selector also ranked it among its first three; else None. Not for a message far from all of its
    answer's phrasings ("how long is the wait list to get in, my sister is ready now" is read as how
    to start, and is the facility's question): the selector was not torn, it was wrong."""
    if not parse.by_clause or is_far(parse, topic):
        return None
    key, probability = parse.by_clause
    if probability < CLAUSE_READING or key not in [k for k, _ in parse.selector_ranking[:3]]:
        return None
    return key


def _two_questions(parse: Parse, faq_keys: set[str]) -> tuple[str, str] | None:
    first, second = parse.entities.get("first_question"), parse.entities.get("second_question")
    if first in faq_keys and second in faq_keys and first != second:
        return first, second
    return None


def _asks_about_a_reading(text: str) -> bool:
    """"is 22 normal", "mine's 25 is that bad": a number and a few words, no more (asking what to do
    about it, "should i use my mom's drops", is the medical boundary's)."""
    return bool(READING.search(text)) and len(text.split()) <= READING_MAX_WORDS


def _short(text: str) -> bool:
    return len(text.split()) <= SHORT_WORDS


def _leans_on_context(text: str, max_words: int = FOLLOW_UP_MAX_WORDS) -> bool:
    return len(text.split()) <= max_words and bool(FOLLOW_UP.search(text))


def _follow_up(parse: Parse, topic: str | None, unsure: bool, sense: str | None = None) -> str | None:
    """The answer key a short follow-up asks for, read against the last answer; None when the
    message is a question of its own (a clear new question always wins)."""
    if not topic or not _leans_on_context(parse.text):
        return None
    if parse.intent in {FAQ, "nlu_fallback"} and COMPARE.search(parse.text) and topic in COMPARISONS:
        return COMPARISONS[topic]  # "and how is it different?" after what PHP is
    misread = unsure or parse.intent in MISREAD_FOLLOW_UPS
    if misread and (sense or "treatment") == "treatment" and parse.reading:
        key, probability = parse.reading[0]
        if probability >= CONTEXT_READING and parse.coverage.get(key, 0.0) >= CONTEXT_MIN_COVERAGE:
            return key  # "is that covered tho?" after the cost answer
    if unsure and parse.intent in {FAQ, "nlu_fallback"}:
        return topic  # "and for teenagers?" after the schedule: the same question, for someone else
    return None


def may_stay_on_topic(parse: Parse, topic: str | None) -> bool:
    """True for a message that may ask more about the last answer: it refers back, it is an FAQ
    question or not understood (a question about the facility, "can i bring my service dog", is not
    more of the topic, unless the classifier is unsure of that), and read alone it is not clearly
    another question. The policy reads only such a message together with the previous one
    (``in_context``)."""
    alone = parse.reading[0][1] if parse.reading else 0.0
    misread = parse.intent in MAY_ASK_MORE or (parse.intent in MISREAD_FOLLOW_UPS
                                               and parse.intent_confidence < UNSURE_INTENT)
    return bool(topic) and _leans_on_context(parse.text, REFERS_BACK_MAX_WORDS) and misread and alone < ALONE_UNSURE


def _stays_on_topic(parse: Parse, topic: str | None, sense: str | None) -> bool:
    """True for a follow-up that asks more about the last answer ("how often tho" after the drug
    testing answer), which the classifier, reading it alone, takes for another question."""
    if not parse.in_context or (sense or "treatment") != "treatment" or not may_stay_on_topic(parse, topic):
        return False
    key, probability = parse.in_context
    return key == topic and probability >= STAY_ON_TOPIC


def _finish(decision: Decision, parse: Parse) -> Decision:
    """The one exit: an answer clears the pending question and the miss count, and a question
    that mentions suicide, self-harm or overdose also gets the crisis resources line."""
    first = decision.responses[0] if decision.responses else None
    if first != "utter_ask_iop_sense":
        decision.slots.setdefault("pending_answer", None)
    if first not in ASKING:
        decision.slots.setdefault("misses", 0.0)
        answered = [answer_key(name) for name in decision.responses if answer_key(name) not in NOT_TOPICS]
        if answered:
            decision.slots["topic"] = answered[-1]
    if parse.entities.get("safety") == "mention" and "utter_crisis_resources" not in decision.responses:
        decision.responses.append("utter_crisis_resources")
    return decision
