"""Response generator: the domain's responses, with facility details filled in.

Placeholders such as ``{facility_name}`` or ``{admissions_phone}`` are filled
from ``settings.yml`` for every response, including those sent by rules, so
they work even when the action server is down. Slot values win over them.
"""
from __future__ import annotations

from typing import Any

from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.utils.endpoints import EndpointConfig

from bot import settings


class FacilityNLG(TemplatedNaturalLanguageGenerator):
    """Templated responses plus the facility's details as template values."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, domain: Domain | None = None) -> None:
        super().__init__((domain or Domain.empty()).responses)

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
        values: dict[str, Any] = dict(settings.load().template_values())
        values.update({k: v for k, v in (filled_slots or {}).items() if v is not None})
        values.update(kwargs)
        return values
