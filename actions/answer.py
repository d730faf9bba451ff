"""action_answer: sends the answer a message gets (see actions/routing.py)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import routing
from actions.phrasings import fuzzy_candidates
from bot import content


class ActionAnswer(Action):
    """Answer FAQ, sense and did-you-mean messages through named responses."""

    def name(self) -> str:
        return "action_answer"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        responses: dict[str, Any] = domain.get("responses") or {}
        faq_keys = set(content.faq_keys())
        parse = routing.Parse.from_latest_message(tracker.latest_message or {})
        slots = {name: tracker.get_slot(name) for name in ("iop_sense", "pending_answer", "misses", "topic")}
        unsure = parse.intent == "nlu_fallback" or routing.is_unsure(parse)
        near_phrasings = fuzzy_candidates(parse.text) if unsure else None
        decision = routing.decide(parse, slots, faq_keys, near_phrasings)

        for name in decision.responses:
            if name not in responses:  # Rasa would drop a misspelt name silently
                raise KeyError(f"response {name!r} is not in the domain")
            if name == "utter_did_you_mean":
                buttons = [{"title": _title(responses, b["key"]), "payload": b["payload"]} for b in decision.buttons]
                dispatcher.utter_message(response=name, buttons=buttons)
            else:
                dispatcher.utter_message(response=name)
        return [SlotSet(name, value) for name, value in decision.slots.items()]


def _title(responses: dict[str, Any], key: str) -> str:
    variations = responses.get(f"utter_title_{key}") or []
    return variations[0]["text"] if variations else key.replace("_", " ")
