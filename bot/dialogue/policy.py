"""The router as a Rasa policy: every FAQ, sense and did-you-mean answer is decided in the Rasa server.

A message the router handles (``ROUTED`` intents) gets the responses of
:func:`bot.dialogue.routing.decide`, one prediction each, then ``action_listen``.
Rasa asks the policy once per action, so the policy works out which step of the
decision comes next from the actions already taken since the message. The
decision's slots are set with the last step (``action_listen``): until then the
slots are those the message arrived with, so every step recomputes the same
decision. The did-you-mean offer goes with its own step, in the ``offers``
slot, from which the NLG makes the buttons (bot/nlg.py).

Anything else (crisis, greetings, channel messages) is left to the rules: this
policy predicts nothing for it, and its priority is below the RulePolicy's, so a
crisis rule wins whatever happens here. A vote on an answer (intent
``feedback``) gets no reply and changes no slot.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction, SupportedData
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.generator import TrackerWithCachedStates
from rasa.shared.core.trackers import DialogueStateTracker

from bot.dialogue import routing
from bot.dialogue.phrasings import fuzzy_candidates
from bot.nlg import DID_YOU_MEAN, LANGUAGE_SLOT, OFFERS_SLOT
from bot.nlu.language import first_language
from bot.nlu.phrasebook import faq_phrasebook
from bot.nlu.sentence_encoder import encode

# The intents whose reply the router decides (the rules answer every other one).
ROUTED = {"faq", "iop_eye", "iop_stock", "php_programming", "choose_sense", "choose_answer", "nlu_fallback",
          "out_of_scope", "facility_question", "medical_advice", "help"}
SILENT = {"feedback"}  # stored with the conversation, never answered
REMEMBERED = ("iop_sense", "pending_answer", "misses", "topic")


def faq_keys(domain: Domain) -> set[str]:
    prefix = f"utter_{routing.FAQ}/"
    return {name[len(prefix):] for name in domain.responses if name.startswith(prefix)}


def previous_text(tracker: DialogueStateTracker) -> str | None:
    """What the visitor typed in the message before the latest one (None for a button or none)."""
    seen = 0
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            seen += 1
            if seen == 2:
                text = event.text or ""
                return text if text and not text.startswith("/") else None
    return None


def read_in_context(parse: routing.Parse, slots: dict[str, Any], previous: str | None) -> routing.Parse:
    """The parse with ``in_context`` (the previous message and this one read together by the
    phrasebook's classifier) when the message may ask more about the last answer; no encoding else."""
    if not previous or not routing.may_stay_on_topic(parse, slots.get("topic")):
        return parse
    both = f"{previous} {parse.text}"
    best = faq_phrasebook().classify(encode([both])[0], both)[0]
    return dataclasses.replace(parse, in_context=(best.key, best.score))


def read_by_clause(parse: routing.Parse, slots: dict[str, Any]) -> routing.Parse:
    """The parse with ``by_clause`` (the phrasebook classifier's surest reading of one of the
    message's clauses) when the message, not understood as a whole, has two clauses or more."""
    parts = routing.clauses(parse.text)
    if len(parts) < 2 or not routing.is_guess(parse, slots.get("topic")):
        return parse
    book = faq_phrasebook()
    best = max((book.classify(vector, part)[0] for vector, part in zip(encode(parts), parts, strict=True)),
               key=lambda match: match.score)
    return dataclasses.replace(parse, by_clause=(best.key, best.score))


def decide(parse: routing.Parse, slots: dict[str, Any], keys: set[str]) -> routing.Decision:
    """The router's decision, with the typo-tolerant phrasing bonus when the classifier is unsure."""
    unsure = routing.is_guess(parse, slots.get("topic"))
    return routing.decide(parse, slots, keys, fuzzy_candidates(parse.text) if unsure else None)


def steps_taken(tracker: DialogueStateTracker) -> int:
    """Actions run since the latest message (Rasa logs none for its slot extraction)."""
    taken = 0
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            return taken
        if isinstance(event, ActionExecuted):
            taken += 1
    return taken


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=True)
class RouterPolicy(Policy):
    """Predicts the router's responses for the messages it handles; nothing for the rest."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"priority": 5}  # below the RulePolicy (6): the crisis rule always wins a tie

    @staticmethod
    def supported_data() -> SupportedData:
        return SupportedData.ML_DATA

    def __init__(self, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
                 execution_context: ExecutionContext, featurizer: Any = None) -> None:
        super().__init__(config, model_storage, resource, execution_context, featurizer)
        self._cache: tuple[tuple[str, float], routing.Decision] | None = None

    def train(self, training_trackers: list[TrackerWithCachedStates], domain: Domain, **kwargs: Any) -> Resource:
        """Nothing to learn: the router is plain code. Stores an empty resource so loading finds one."""
        with self._model_storage.write_to(self._resource):
            pass
        return self._resource

    def predict_action_probabilities(self, tracker: DialogueStateTracker, domain: Domain,
                                     rule_only_data: dict[str, Any] | None = None,
                                     **kwargs: Any) -> PolicyPrediction:
        probabilities = self._default_predictions(domain)
        message = tracker.latest_message
        intent = (message.intent or {}).get("name") if message else None
        if message is None:
            return self._prediction(probabilities)
        if intent in SILENT:
            if steps_taken(tracker) == 0:
                probabilities[domain.index_for_action(ACTION_LISTEN_NAME)] = 1.0
            return self._prediction(probabilities)
        if intent not in ROUTED:
            return self._prediction(probabilities)

        decision = self._decision(tracker, message, domain)
        step = steps_taken(tracker)
        events: list[Any] = []
        if step < len(decision.responses):
            name = decision.responses[step]
            if name == DID_YOU_MEAN:
                events.append(SlotSet(OFFERS_SLOT, [button["key"] for button in decision.buttons]))
        elif step == len(decision.responses):
            name = ACTION_LISTEN_NAME
            events = [SlotSet(slot, value) for slot, value in decision.slots.items()]
            if tracker.get_slot(LANGUAGE_SLOT) is None and (guessed := first_language(message.text)):
                events.append(SlotSet(LANGUAGE_SLOT, guessed))  # as the reply was written (bot/nlg.py)
        else:
            return self._prediction(probabilities)  # done: leave it to the others (never reached)
        probabilities[domain.index_for_action(name)] = 1.0
        return self._prediction(probabilities, optional_events=events)

    def _decision(self, tracker: DialogueStateTracker, message: UserUttered, domain: Domain) -> routing.Decision:
        key = (tracker.sender_id, message.timestamp)
        if self._cache is None or self._cache[0] != key:
            parse = routing.Parse.from_latest_message(message.parse_data or {})
            slots = {name: tracker.get_slot(name) for name in REMEMBERED}
            parse = read_by_clause(read_in_context(parse, slots, previous_text(tracker)), slots)
            self._cache = (key, decide(parse, slots, faq_keys(domain)))
        return self._cache[1]
