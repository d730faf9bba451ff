"""bot/rasa_main.py: the cached event-class lookup finds what Rasa's own walk finds."""
from __future__ import annotations

import pytest
from rasa.shared.core import events
from rasa.shared.utils.common import all_subclasses

from bot.rasa_main import cache_event_types


@pytest.fixture()
def cached():
    walk = events.Event.__dict__["resolve_by_type"]
    cache_event_types()
    yield events.Event.resolve_by_type
    events.Event.resolve_by_type = walk


WALK = events.Event.resolve_by_type  # Rasa's own lookup


def test_every_event_type_resolves_to_its_class_and_unknown_ones_still_fail(cached):
    classes = {cls.type_name: cls for cls in reversed(all_subclasses(events.Event))}
    assert len(classes) > 20
    for _ in range(2):  # found, then cached
        for name, cls in classes.items():
            assert cached(name) is WALK(name) is cls
    assert cached("no-such-event", events.UserUttered) is events.UserUttered
    with pytest.raises(ValueError, match="Unknown event name"):
        cached("no-such-event")


def test_a_stored_conversation_reads_back_the_same(cached):
    stored = [events.ActionExecuted("action_listen"), events.UserUttered("hi", {"name": "greet"}),
              events.SlotSet("iop_sense", "eye"), events.BotUttered("hello", metadata={"utter_action": "utter_greet"})]
    back = [events.Event.from_parameters(event.as_dict()) for event in stored]
    assert back == stored


def test_an_event_class_defined_after_a_miss_is_found(cached):
    with pytest.raises(ValueError):
        cached("late_event")

    class LateEvent(events.ActionReverted):
        type_name = "late_event"

    assert cached("late_event") is LateEvent
