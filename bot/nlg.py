"""Response generator: the domain's responses, with facility details filled in.

Placeholders such as ``{facility_name}`` or ``{admissions_phone}`` are filled
from ``settings.yml`` for every response, including those sent by rules, so
every reply has them. Slot values win over them. In a Spanish conversation (the
``language`` slot is ``es``) they are Spanish phrases, so a Spanish reply reads in one language.
The did-you-mean offer's buttons are made here from the ``offers`` slot the
router sets (bot/dialogue/policy.py), titled in the conversation's language.
"""
from __future__ import annotations

from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot import settings
from bot.nlu.language import first_language

DID_YOU_MEAN, OFFERS_SLOT = "utter_did_you_mean", "offers"
LANGUAGE_SLOT, SPANISH = "language", "es"


def is_spanish(slots: dict[str, Any] | None) -> bool:
    """Whether the conversation is in Spanish; matched as Rasa matches a response's slot condition."""
    return str((slots or {}).get(LANGUAGE_SLOT) or "").casefold() == SPANISH


def conversation_slots(tracker: DialogueStateTracker) -> dict[str, Any]:
    """The tracker's slots; with no language yet, the one the latest message is written in
    (on a weaker signal, ``bot.nlu.language.first_language``), so a first Spanish message
    is answered in Spanish even when the detector was not sure enough to set the slot."""
    slots = tracker.current_slot_values()
    if slots.get(LANGUAGE_SLOT) is None:
        message = tracker.latest_message
        guessed = first_language(message.text if message is not None else None)
        if guessed is not None:
            slots[LANGUAGE_SLOT] = guessed
    return slots


def spanish_template_values(facility: settings.Facility) -> dict[str, str]:
    """The facility placeholders as Spanish phrases, for the same details as the English ones
    (bot/settings.py); like those, they read naturally whichever details are left empty."""
    of_team = f"de {facility.name}" if facility.name else "del programa"
    if facility.admissions_phone:
        reach = f"llama al equipo de admisiones {of_team} al {facility.admissions_phone}"
        if facility.admissions_hours:
            reach += f" ({facility.admissions_hours})"
    else:
        reach = f"comunícate con el equipo de admisiones {of_team}"
    where = facility.name or "El programa"
    return {
        "facility_name": facility.name or "el programa",
        "admissions_phone": facility.admissions_phone or "la línea de admisiones",
        "reach_admissions": reach,
        "website_line": f" También puedes visitar {facility.website}." if facility.website else "",
        "address_line": f" {where} está en {facility.address}." if facility.address else "",
    }


class FacilityNLG(TemplatedNaturalLanguageGenerator):
    """Templated responses plus the facility's details as template values."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, domain: Domain | None = None) -> None:
        super().__init__((domain or Domain.empty()).responses)

    async def generate(
        self, utter_action: str, tracker: DialogueStateTracker, output_channel: str, **kwargs: Any
    ) -> dict[str, Any] | None:
        slots = conversation_slots(tracker)
        message = self.generate_from_slots(utter_action, slots, output_channel, **kwargs)
        if message is not None and utter_action == DID_YOU_MEAN:
            message["buttons"] = [
                {"title": self.title(key, slots, output_channel), "payload": f'/choose_answer{{"answer_key": "{key}"}}'}
                for key in slots.get(OFFERS_SLOT) or []
            ]
        return message

    def title(self, key: str, slots: dict[str, Any], output_channel: str) -> str:
        """A short button label for an answer key (utter_title_<key>), in the conversation's language."""
        found = self.generate_from_slots(f"utter_title_{key}", slots, output_channel)
        return str(found["text"]) if found and found.get("text") else key.replace("_", " ")

    def _fill_response(
        self, response: dict[str, Any], filled_slots: dict[str, Any] | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        # Button payloads hold JSON ('/choose_sense{"iop_sense": "eye"}'), which Rasa's
        # interpolator would read as placeholders and log errors for; they have none.
        buttons = response.pop("buttons", None)
        filled = super()._fill_response(response, filled_slots, **kwargs)
        if buttons is not None:
            filled["buttons"] = buttons
        return filled

    @staticmethod
    def _response_variables(filled_slots: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
        loaded = settings.load()
        values: dict[str, Any] = dict(loaded.template_values())
        if is_spanish(filled_slots):
            values.update(spanish_template_values(loaded.facility))
        values.update({k: v for k, v in (filled_slots or {}).items() if v is not None})
        values.update(kwargs)
        return values
