"""Every response in Spanish: the right language is chosen on every channel, facility details and
did-you-mean titles are Spanish, Spanish SMS stay GSM-7 and short, and the content check says
when a Spanish text is missing. A real Rasa domain, tracker and NLG; no model, no server."""
from __future__ import annotations

import asyncio
import copy
import json
import re
import shutil
from typing import Any

import pytest
import yaml
from rasa.core.nlg.generator import ResponseVariationFilter
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot import check, content, settings
from bot.channels import sms
from bot.content import language_of, sms_segments, sms_variations
from bot.nlg import FacilityNLG, spanish_template_values
from tests.helpers import ROOT, report

CHANNELS = ("rest", "socketio", "twilio", "cmdline")  # ours, and one that has no variations of its own
# slot value -> the language the visitor must get: an unset slot is an English conversation
LANGUAGE_CASES = {None: "en", "en": "en", "es": "es"}
SAMPLE = ("utter_faq/iop_cost", "utter_iop_eye", "utter_help", "utter_ask_iop_sense", "utter_greet",
          "utter_human_handoff", "utter_faq/overnight", "utter_title_iop_cost")
EMPTY_FACILITY = settings.Facility(name="", admissions_phone="", admissions_hours="", website="", address="")
FULL_FACILITY = settings.Facility(name="Riverside Recovery", admissions_phone="(555) 010-0000",
                                  admissions_hours="Mon-Fri 8am-6pm", website="https://example.org",
                                  address="12 Main Street")


@pytest.fixture(scope="module")
def domain() -> Domain:
    faq = sorted(str(path) for path in (ROOT / "data" / "nlu" / "faq").glob("*.yml"))
    return Domain.load([str(ROOT / "domain.yml"), *faq])


@pytest.fixture(scope="module")
def nlg(domain: Domain) -> FacilityNLG:
    return FacilityNLG(domain=domain)


@pytest.fixture
def facility(monkeypatch: pytest.MonkeyPatch):
    """Run a test with these facility details in settings (restored afterwards)."""

    def use(details: settings.Facility) -> None:
        for field, env in (("name", "IOP_FACILITY_NAME"), ("admissions_phone", "IOP_ADMISSIONS_PHONE"),
                           ("admissions_hours", "IOP_ADMISSIONS_HOURS"), ("website", "IOP_WEBSITE"),
                           ("address", "IOP_ADDRESS")):
            monkeypatch.setenv(env, getattr(details, field))
        settings.load.cache_clear()

    yield use
    settings.load.cache_clear()


def tracker_in(domain: Domain, language: str | None, **slots: Any) -> DialogueStateTracker:
    tracker = DialogueStateTracker("t", domain.slots)
    tracker.update(ActionExecuted("action_listen"))
    for name, value in {"language": language, **slots}.items():
        if value is not None:
            tracker.update(SlotSet(name, value))
    return tracker


def shipped_facility() -> settings.Facility:
    """The facility details in the shipped settings.yml, whatever the environment says."""
    raw = yaml.safe_load((ROOT / "settings.yml").read_text(encoding="utf-8"))["facility"] or {}
    return settings.Facility(**{field: raw.get(field) or "" for field in
                                ("name", "admissions_phone", "admissions_hours", "website", "address")})


def values_for(language: str, details: settings.Facility) -> dict[str, str]:
    values = {**details.as_template_values(), "max_chars": str(settings.load().max_message_chars)}
    return {**values, **spanish_template_values(details)} if language == "es" else values


def filled(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def expected_variation(variations: list[dict], language: str, channel: str) -> dict:
    (variation,) = [v for v in variations if language_of(v) == language and v.get("channel") == channel] or [
        v for v in variations if language_of(v) == language and not v.get("channel")]
    return variation


# --- which variation Rasa picks -------------------------------------------------------------

def test_every_response_has_one_english_and_one_spanish_text_per_channel(domain):
    """Rasa picks at random among the suitable variations: exactly one each keeps replies stable."""
    for name, variations in domain.responses.items():
        for language in ("en", "es"):
            for channel in (None, "twilio"):
                count = sum(1 for v in variations if language_of(v) == language and v.get("channel") == channel)
                assert count <= 1, (name, language, channel)
            assert any(language_of(v) == language and not v.get("channel") for v in variations), (name, language)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("slot_value", list(LANGUAGE_CASES))
def test_rasa_chooses_the_conversations_language_for_every_response(domain, channel, slot_value):
    """Rasa prefers a variation for the channel over one for the condition: a Spanish SMS variation
    beside each English one is what keeps a Spanish texter from getting English."""
    language = LANGUAGE_CASES[slot_value]
    chooser = ResponseVariationFilter(domain.responses)
    for name, variations in domain.responses.items():
        chosen = chooser.responses_for_utter_action(name, channel, {"language": slot_value})
        assert chosen == [expected_variation(variations, language, channel)], (name, slot_value, channel)


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("slot_value", list(LANGUAGE_CASES))
@pytest.mark.parametrize("name", SAMPLE)
def test_our_nlg_sends_the_conversations_language(domain, nlg, name, slot_value, channel):
    language = LANGUAGE_CASES[slot_value]
    message = asyncio.run(nlg.generate(name, tracker_in(domain, slot_value), channel))
    variation = expected_variation(domain.responses[name], language, channel)
    assert message["text"] == filled(variation["text"], values_for(language, settings.load().facility))
    assert message.get("buttons", []) == variation.get("buttons", [])
    other = expected_variation(domain.responses[name], "en" if language == "es" else "es", channel)
    assert message["text"] != filled(other["text"], values_for(language, settings.load().facility))


def test_the_sample_covers_an_sms_variation_and_buttons(domain):
    assert any(v.get("channel") == "twilio" for v in domain.responses["utter_faq/iop_cost"])
    assert any(v.get("channel") == "twilio" for v in domain.responses["utter_iop_eye"])
    assert all(v.get("buttons") for v in domain.responses["utter_help"])


def test_a_spanish_conversation_gets_spanish_from_a_rasa_templated_generator_too(domain):
    """The plain TemplatedNaturalLanguageGenerator (no facility details) chooses the same variations."""
    from rasa.core.nlg.response import TemplatedNaturalLanguageGenerator

    plain = TemplatedNaturalLanguageGenerator(domain.responses)
    for channel in ("rest", "twilio"):
        spanish = asyncio.run(plain.generate("utter_iop_eye", tracker_in(domain, "es"), channel))
        english = asyncio.run(plain.generate("utter_iop_eye", tracker_in(domain, None), channel))
        assert spanish["text"] == expected_variation(domain.responses["utter_iop_eye"], "es", channel)["text"]
        assert english["text"] == expected_variation(domain.responses["utter_iop_eye"], "en", channel)["text"]


# --- buttons ------------------------------------------------------------------------------

def test_spanish_buttons_keep_the_payloads_and_have_spanish_titles(domain):
    with_buttons = [name for name, vs in domain.responses.items() if any(v.get("buttons") for v in vs)]
    assert {"utter_help", "utter_ask_iop_sense"} <= set(with_buttons)
    for name in with_buttons:
        for channel in (None, "twilio"):
            english = [v for v in domain.responses[name] if language_of(v) == "en" and v.get("channel") == channel]
            spanish = [v for v in domain.responses[name] if language_of(v) == "es" and v.get("channel") == channel]
            if not english:
                continue
            en_buttons, es_buttons = english[0].get("buttons") or [], spanish[0].get("buttons") or []
            assert [b["payload"] for b in es_buttons] == [b["payload"] for b in en_buttons], name
            for en, es in zip(en_buttons, es_buttons, strict=True):
                assert es["title"] != en["title"], (name, es["title"])


def test_spanish_button_titles_match_the_spanish_answer_titles(domain):
    """The help buttons read as the did-you-mean buttons for the same answers do."""
    es_help = expected_variation(domain.responses["utter_help"], "es", "rest")
    for button in es_help["buttons"]:
        key = json.loads(button["payload"].removeprefix("/choose_answer"))["answer_key"]
        assert button["title"] == expected_variation(domain.responses[f"utter_title_{key}"], "es", "rest")["text"]


@pytest.mark.parametrize("channel", ["rest", "twilio"])
def test_did_you_mean_titles_follow_the_language(domain, nlg, channel):
    offers = ["iop_cost", "iop_insurance", "human_handoff"]
    for slot_value, language in LANGUAGE_CASES.items():
        tracker = tracker_in(domain, slot_value, offers=offers)
        message = asyncio.run(nlg.generate("utter_did_you_mean", tracker, channel))
        titles = [b["title"] for b in message["buttons"]]
        assert titles == [expected_variation(domain.responses[f"utter_title_{k}"], language, channel)["text"]
                          for k in offers]
        assert [b["payload"] for b in message["buttons"]] == [f'/choose_answer{{"answer_key": "{k}"}}' for k in offers]
        assert message["text"] == expected_variation(domain.responses["utter_did_you_mean"], language, channel)["text"]
    spanish = asyncio.run(nlg.generate("utter_did_you_mean", tracker_in(domain, "es", offers=offers), channel))
    assert spanish["buttons"][0]["title"] == "Cuánto cuesta un IOP"


# --- facility details in Spanish ----------------------------------------------------------

def test_spanish_facility_phrases_cover_every_english_phrase():
    """A new phrase placeholder added in English (bot/settings.py) needs its Spanish one in bot/nlg.py."""
    raw_values = {"admissions_hours", "website", "address"}  # the operator's own text, the same in both
    assert set(FULL_FACILITY.as_template_values()) - raw_values == set(spanish_template_values(FULL_FACILITY))


@pytest.mark.parametrize(("details", "reach", "extra"), [
    (EMPTY_FACILITY, "comunícate con el equipo de admisiones del programa", ""),
    (FULL_FACILITY, "llama al equipo de admisiones de Riverside Recovery al (555) 010-0000 (Mon-Fri 8am-6pm)",
     " Riverside Recovery está en 12 Main Street. También puedes visitar https://example.org."),
    (settings.Facility(name="", admissions_phone="(555) 010-0000", admissions_hours="", website="",
                       address="12 Main Street"),
     "llama al equipo de admisiones del programa al (555) 010-0000", " El programa está en 12 Main Street."),
])
def test_facility_details_are_spanish_in_a_spanish_conversation(domain, nlg, facility, details, reach, extra):
    facility(details)
    spanish = asyncio.run(nlg.generate("utter_facility_question", tracker_in(domain, "es"), "rest"))
    assert reach in spanish["text"] and spanish["text"].endswith(extra + ("" if extra else "ayudar."))
    english = asyncio.run(nlg.generate("utter_facility_question", tracker_in(domain, "en"), "rest"))
    assert english["text"] == filled(domain.responses["utter_facility_question"][0]["text"],
                                     values_for("en", details))
    for text in (english["text"], spanish["text"]):
        assert "{" not in text
    assert "admissions team" in english["text"] and "admisiones" not in english["text"]


@pytest.mark.parametrize("details", [EMPTY_FACILITY, FULL_FACILITY,
                                     settings.Facility("Riverside Recovery", "", "", "", "")])
def test_spanish_replies_read_naturally_whichever_facility_details_are_set(domain, details):
    english_bits = ("call ", "contact ", "admissions team", "You can also visit", " is at ", "the program")
    for name, variations in domain.responses.items():
        for variation in (v for v in variations if language_of(v) == "es"):
            text = filled(variation["text"], values_for("es", details))
            assert "{" not in text, (name, text)
            for clumsy in ("  ", " .", "..", "()", " ,"):
                assert clumsy not in text, (name, clumsy, text)
            assert not re.search(r"\b(a|de) el\b", text), (name, text)  # al, del
            for bit in english_bits:
                assert bit not in text, (name, bit, text)


# --- SMS ----------------------------------------------------------------------------------

def spanish_sms(domain: Domain, details: settings.Facility) -> dict[str, str]:
    """Each response's SMS to a Spanish texter: placeholders filled, buttons numbered, folded to GSM-7."""
    values = values_for("es", details)
    longest_titles = sorted((expected_variation(domain.responses[f"utter_title_{k}"], "es", "twilio")["text"]
                             for k in (*content.faq_keys(), *sorted(content.OFFERABLE_INTENT_KEYS))),
                            key=len)[-3:]
    bodies = {}
    for name, variations in domain.responses.items():
        variation = expected_variation(variations, "es", "twilio")
        buttons = variation.get("buttons") or []
        if name == "utter_did_you_mean":  # the NLG adds two or three titles from the offers slot
            buttons = [{"title": title, "payload": "/x"} for title in longest_titles]
        bodies[name] = sms.format_reply([{"text": filled(variation["text"], values), "buttons": buttons}], "es")
    return bodies


@pytest.mark.parametrize("details", ["shipped", FULL_FACILITY], ids=["shipped settings", "every detail set"])
def test_every_spanish_sms_is_gsm7_and_at_most_three_segments(domain, details):
    bodies = spanish_sms(domain, shipped_facility() if details == "shipped" else details)
    for name, body in bodies.items():
        segments = sms_segments(body)
        assert segments is not None, (name, [c for c in body if sms_segments(c) is None])
        assert segments <= content.SPANISH_SMS_SEGMENTS, (name, len(body), body)
    # measured with the Spanish button prompt a Spanish texter gets (two characters longer)
    assert "Responde 1, 2 o 3:" in bodies["utter_ask_iop_sense"] and "Reply" not in bodies["utter_ask_iop_sense"]
    if details == "shipped":
        for name, body in sorted(bodies.items(), key=lambda item: -len(item[1]))[:3]:
            report("Spanish SMS, longest (shipped settings)",
                   f"{name}: {len(body)} characters, {sms_segments(body)} segment(s)")


def test_spanish_crisis_sms_keeps_its_resources_and_two_segments(domain):
    body = spanish_sms(domain, shipped_facility())["utter_crisis"]
    assert "988" in body and "AYUDA" in body and "911" in body and "1-800-662-4357" in body
    assert sms_segments(body) <= 2


def test_a_long_spanish_text_has_a_spanish_sms_version(domain):
    for name, variations in domain.responses.items():
        for variation in (v for v in variations if language_of(v) == "es" and not v.get("channel")):
            if len(variation["text"]) > content.SMS_LIMIT:
                assert any(language_of(v) == "es" and v.get("channel") == "twilio" for v in variations), name


def test_sms_variations_are_the_ones_a_texter_gets(domain):
    chooser = ResponseVariationFilter(domain.responses)
    for name, variations in domain.responses.items():
        for language in ("en", "es"):
            assert sms_variations(variations, language) == chooser.responses_for_utter_action(
                name, "twilio", {"language": language}), name


@pytest.mark.parametrize(("text", "expected"), [
    ("á í ó ú Á Í Ó Ú", "a i o u A I O U"),
    ("é É ñ Ñ ¿ ¡ ü Ü à è ì ò ù", "é É ñ Ñ ¿ ¡ ü Ü à è ì ò ù"),  # all in the GSM-7 alphabet: kept
    ("¿Cuánto dura? Según el programa, también", "¿Cuanto dura? Segun el programa, también"),
    ("â ê ç õ", "a e c o"),
])
def test_sms_folds_letters_gsm7_lacks_to_the_closest_one(text, expected):
    folded = sms.to_gsm_text(text)
    assert folded == expected
    assert sms_segments(folded) == 1


def test_every_spanish_text_folds_to_gsm7(domain):
    for name, variations in domain.responses.items():
        for variation in (v for v in variations if language_of(v) == "es"):
            assert sms_segments(sms.to_gsm_text(variation["text"])) is not None, name


@pytest.mark.parametrize(("text", "segments"), [
    ("a" * 160, 1), ("a" * 161, 2), ("a" * 306, 2), ("a" * 307, 3), ("a" * 459, 3), ("a" * 460, 4),
    ("{" * 80, 1), ("{" * 81, 2),  # the extension table takes two septets a character
    ("ñ¿¡é" * 40, 1), ("á", None), ("`", None),
])
def test_sms_segments(text, segments):
    assert sms_segments(text) == segments


# --- the content check --------------------------------------------------------------------

def test_shipped_content_has_every_spanish_text():
    loaded = content.load()
    problems = [p for name, vs in loaded.responses.items() for p in check.check_spanish(name, vs)]
    assert problems == []
    assert check.run_checks() == []


def test_content_check_reports_missing_spanish_in_plain_words():
    es = [{"type": "slot", "name": "language", "value": "es"}]
    broken = copy.deepcopy(content.load())
    broken.responses["utter_goodbye"] = [v for v in broken.responses["utter_goodbye"] if language_of(v) == "en"]
    broken.responses["utter_faq/iop_cost"] = [
        v for v in broken.responses["utter_faq/iop_cost"] if not (language_of(v) == "es" and v.get("channel"))]
    broken.responses["utter_greet"].append({"text": "Hallo!", "condition": [{**es[0], "value": "de"}]})
    broken.responses["utter_thanks"] = [
        {"text": "Thanks."},
        {"text": "x" * 330, "condition": es},
    ]
    broken.responses["utter_default"] = [
        {"text": "Sorry?"},
        {"text": "¿Cómo? " + "y " * 300, "condition": es},
        {"text": "¿Cómo? " + "y " * 240, "condition": es, "channel": "twilio"},
    ]
    broken.responses["utter_anything_else"] = [{"text": "Anything else?"}, {"text": "¿Algo más? ☺`", "condition": es}]
    problems = check.check_responses(broken)
    assert "'utter_goodbye' has no Spanish text: add a variation with condition: [{type: slot, name: language, " \
           "value: es}] (utter_crisis in domain.yml shows how)" in problems
    assert any(p.startswith("'utter_faq/iop_cost' has an English SMS version but no Spanish one") for p in problems)
    assert any("'utter_greet' has a condition on a language this assistant doesn't speak: de" in p for p in problems)
    assert any("the Spanish text of 'utter_thanks' is over 320 characters and needs a Spanish SMS" in p
               for p in problems)
    assert any("the Spanish text of 'utter_default' is 607 characters" in p for p in problems)
    assert any("the Spanish SMS of 'utter_default' takes 4 SMS segments: shorten it to at most 3" in p
               for p in problems)
    assert any("the Spanish SMS of 'utter_anything_else' has characters GSM-7 lacks" in p for p in problems)
    assert any("the Spanish text of 'utter_faq/iop_cost' is over 320 characters" in p for p in problems)
    assert any("the Spanish SMS of 'utter_faq/iop_cost' takes 4 SMS segments" in p for p in problems)
    assert len([p for p in problems if "Spanish" in p or "language" in p]) == 9, problems


def test_content_check_reads_a_missing_spanish_text_from_the_files(tmp_path):
    """The check on a copy of the data files with one Spanish text taken out."""
    for rel in ("domain.yml", "data/nlu"):
        source, target = ROOT / rel, tmp_path / rel
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    domain_file = tmp_path / "domain.yml"
    doc = domain_file.read_text(encoding="utf-8")
    spanish = '    - text: "Cuídate mucho.'
    start = doc.index(spanish)
    end = doc.index("value: es\n", start) + len("value: es\n")
    domain_file.write_text(doc[:start] + doc[end:], encoding="utf-8")
    content.load.cache_clear()
    try:
        problems = check.run_checks(content.load(tmp_path))
    finally:
        content.load.cache_clear()
    assert [p for p in problems if "Spanish" in p] == [
        "'utter_goodbye' has no Spanish text: add a variation with condition: [{type: slot, name: language, "
        "value: es}] (utter_crisis in domain.yml shows how)"]


@pytest.mark.parametrize(("text", "language"), [
    ("aceptan Medicaid para el programa intensivo?", "es"),  # too unsure to set the slot, Spanish still
    ("what does it cost", "en"),
    ("ok", "en"),  # no words to tell: English, the default
])
def test_a_first_message_with_no_language_yet_is_answered_in_its_own(domain, nlg, text, language):
    from rasa.shared.core.events import UserUttered

    tracker = tracker_in(domain, None)
    tracker.update(UserUttered(text))
    message = asyncio.run(nlg.generate("utter_faq/iop_cost", tracker, "rest"))
    variation = expected_variation(domain.responses["utter_faq/iop_cost"], language, "rest")
    assert message["text"] == filled(variation["text"], values_for(language, settings.load().facility))


def test_a_set_language_wins_over_the_first_message_guess(domain, nlg):
    from rasa.shared.core.events import UserUttered

    tracker = tracker_in(domain, "en")
    tracker.update(UserUttered("aceptan Medicaid para el programa intensivo?"))
    message = asyncio.run(nlg.generate("utter_faq/iop_cost", tracker, "rest"))
    variation = expected_variation(domain.responses["utter_faq/iop_cost"], "en", "rest")
    assert message["text"] == filled(variation["text"], values_for("en", settings.load().facility))
