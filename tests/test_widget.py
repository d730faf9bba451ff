"""The website chat in headless Chromium (Debian's, driven by Playwright): a visitor's view."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers import ROOT, report, stored_events

pytestmark = [pytest.mark.live, pytest.mark.browser]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"
BOT = ".iopchat-msg--bot"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make test-deps`")
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield browser
        browser.close()


@pytest.fixture
def context(browser, assistant):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    outside: list[str] = []
    allowed = (assistant.url, assistant.url.replace("http://", "ws://"), "data:")
    context.on("request", lambda r: outside.append(r.url) if not r.url.startswith(allowed) else None)
    yield context
    context.close()
    assert not outside, f"requests left localhost: {outside}"


def bot_messages(page):
    return page.locator(BOT)


def wait_for_response(page, name: str, count: int = 1):
    page.locator(f'{BOT}[data-response="{name}"]').nth(count - 1).wait_for(timeout=30_000)


def ask(page, text: str):
    page.get_by_test_id("input").fill(text)
    page.get_by_test_id("input").press("Enter")


def open_demo(context, assistant):
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    csp: list[str] = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(assistant.url + "/chat/")
    wait_for_response(page, "utter_greet")
    page.dialogs = dialogs  # type: ignore[attr-defined]
    page.csp_violations = csp  # type: ignore[attr-defined]
    return page


def test_ask_click_reload_and_history(context, assistant):
    page = open_demo(context, assistant)
    greeting = bot_messages(page).first.text_content()
    assert "medical advice" in greeting.lower() and "988" in greeting

    ask(page, "what is IOP?")
    wait_for_response(page, "utter_ask_iop_sense")
    choices = page.locator(".iopchat-choices").last.locator("button")
    assert choices.count() == 3
    choices.nth(1).click()
    wait_for_response(page, "utter_iop_eye")
    chosen = page.locator(".iopchat-choices").last.locator("button").nth(1)
    assert chosen.get_attribute("aria-pressed") == "true" and chosen.is_disabled()
    assert page.locator(".iopchat-msg--user").last.text_content().strip().endswith("Eye pressure")
    ask(page, "how long is intensive outpatient treatment")
    wait_for_response(page, "utter_faq/iop_duration")

    shown = page.locator(".iopchat-msg").count()
    page.reload()
    page.locator(".iopchat-msg").nth(shown - 1).wait_for(timeout=30_000)
    assert page.locator(".iopchat-msg").count() == shown, "history restored, greeting not repeated"

    second_tab = context.new_page()
    second_tab.goto(assistant.url + "/chat/")
    second_tab.locator(".iopchat-msg").nth(shown - 1).wait_for(timeout=30_000)
    assert second_tab.locator(".iopchat-msg").count() == shown, "a new tab shows the same conversation"
    assert page.csp_violations == []  # type: ignore[attr-defined]


def test_html_and_markdown_are_shown_as_text(context, assistant):
    page = open_demo(context, assistant)
    attack = '<img src=x onerror="alert(1)"><script>alert(2)</script> **bold** {{7*7}}'
    ask(page, attack)
    page.locator(BOT).nth(1).wait_for(timeout=30_000)
    user = page.locator(".iopchat-msg--user").last
    assert attack in user.text_content()
    assert page.locator(".iopchat img, .iopchat script:not([src])").count() == 0
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_clear_conversation_forgets_it_on_the_server(context, assistant):
    page = open_demo(context, assistant)
    ask(page, "does insurance cover intensive outpatient")
    wait_for_response(page, "utter_faq/iop_insurance")
    old = page.evaluate("localStorage.getItem('iopchat.session')")
    assert stored_events(assistant.settings.tracker_db, f"web:{old}")
    page.get_by_test_id("clear").click()
    page.get_by_test_id("clear-confirm").click()
    wait_for_response(page, "utter_greet")
    assert page.locator(".iopchat-msg").count() == 1
    new = page.evaluate("localStorage.getItem('iopchat.session')")
    assert new and new != old
    assert stored_events(assistant.settings.tracker_db, f"web:{old}") == []


def test_accessibility_with_axe(browser, assistant):
    context = browser.new_context(bypass_csp=True)  # to inject axe-core into the page
    page = open_demo(context, assistant)
    ask(page, "what is IOP?")
    wait_for_response(page, "utter_ask_iop_sense")
    page.add_script_tag(path=str(ROOT / "node_modules" / "axe-core" / "axe.min.js"))
    result = page.evaluate("async () => await axe.run(document)")
    bad = [(v["id"], v["impact"], v["help"]) for v in result["violations"] if v["impact"] in {"serious", "critical"}]
    report("widget", f"axe-core: {len(result['violations'])} violations, {len(bad)} serious or critical")
    assert not bad
    log = page.get_by_test_id("transcript")
    assert log.get_attribute("role") == "log" and log.get_attribute("aria-live") == "polite"
    assert page.locator("label[for]").count() >= 1
    context.close()


def test_phone_sized_screen_and_screenshots(browser, assistant):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True)
    page = open_demo(context, assistant)
    ask(page, "can I keep my job while doing IOP")
    wait_for_response(page, "utter_faq/work_school")
    panel = page.get_by_test_id("panel").bounding_box()
    assert panel["width"] <= 375 and panel["x"] >= 0
    assert page.get_by_test_id("input").is_visible() and page.get_by_test_id("send").is_visible()
    page.screenshot(path=str(ARTIFACTS / "widget-phone.png"))
    context.close()


def stored_votes(assistant, page) -> list:
    from bot.channels.feedback import is_vote, vote_of

    session = page.evaluate("localStorage.getItem('iopchat.session')")
    return [vote_of(e) for e in stored_events(assistant.settings.tracker_db, f"web:{session}") if is_vote(e)]


def test_thumbs_rate_an_answer_and_the_vote_is_stored(context, assistant):
    from bot.channels.feedback import Vote

    page = open_demo(context, assistant)
    assert page.locator(f"{BOT} .iopchat-rate").count() == 0, "the greeting is not rated"
    ask(page, "how much does intensive outpatient cost")
    wait_for_response(page, "utter_faq/iop_cost")
    answer = page.locator(f'{BOT}[data-response="utter_faq/iop_cost"]').last
    assert answer.get_attribute("data-answer-key") == "iop_cost"
    rate = answer.get_by_role("group", name="Was this helpful?")
    up, down = rate.get_by_role("button", name="Yes, helpful"), rate.get_by_role("button", name="No, not helpful")
    assert up.get_attribute("aria-pressed") == "false" and down.get_attribute("aria-pressed") == "false"

    up.focus()
    page.keyboard.press("Enter")  # keyboard usable
    thanks = answer.get_by_test_id("vote-thanks").filter(has_text="Thanks for your feedback.")
    thanks.wait_for(timeout=30_000)
    assert up.get_attribute("aria-pressed") == "true"
    assert stored_votes(assistant, page) == [Vote("iop_cost", "up")]

    down.click()  # changeable; a thumbs down offers reasons
    reasons = rate.get_by_role("group", name="What was wrong? (optional)")
    reasons.wait_for(timeout=10_000)
    assert [b.text_content() for b in reasons.get_by_role("button").all()] == [
        "Wrong answer", "Incomplete", "Too long", "Hard to understand", "Other"]
    thanks.wait_for(timeout=30_000)  # cleared by the click, shown again when the server kept the vote
    reasons.get_by_role("button", name="Too long").click()
    thanks.wait_for(timeout=30_000)
    assert up.get_attribute("aria-pressed") == "false" and down.get_attribute("aria-pressed") == "true"
    assert reasons.get_by_role("button", name="Too long").get_attribute("aria-pressed") == "true"
    assert stored_votes(assistant, page)[-1] == Vote("iop_cost", "down", "too_long")
    assert page.locator(".iopchat-msg--user").count() == 1, "votes are not shown as messages"
    assert page.locator(BOT).count() == 2, "and get no reply"

    page.reload()  # the vote is shown again from the stored conversation
    page.locator(f'{BOT}[data-response="utter_faq/iop_cost"] [data-testid="vote-down"][aria-pressed="true"]') \
        .wait_for(timeout=30_000)
    again = page.locator(f'{BOT}[data-response="utter_faq/iop_cost"]').last
    assert again.get_by_role("button", name="Too long").get_attribute("aria-pressed") == "true"
    assert page.csp_violations == []  # type: ignore[attr-defined]


def test_accessibility_with_the_rating_control(browser, assistant):
    context = browser.new_context(bypass_csp=True)
    page = open_demo(context, assistant)
    ask(page, "can I keep my job while doing IOP")
    wait_for_response(page, "utter_faq/work_school")
    page.locator(f"{BOT} [data-testid=vote-down]").last.click()
    page.locator(f"{BOT} .iopchat-reasons").last.wait_for(timeout=10_000)
    page.add_script_tag(path=str(ROOT / "node_modules" / "axe-core" / "axe.min.js"))
    result = page.evaluate("async () => await axe.run(document)")
    found = [(v["id"], v["impact"], v["help"]) for v in result["violations"]]
    report("widget", f"axe-core with the rating control open: {len(found)} violations")
    assert found == []
    context.close()


def test_a_spanish_conversation_switches_the_widget_to_spanish(browser, assistant):
    context = browser.new_context(bypass_csp=True)  # to inject axe-core into the page
    page = open_demo(context, assistant)
    assert page.get_by_test_id("input").get_attribute("placeholder") == "Type your question"
    assert page.locator(f"{BOT} .iopchat-bubble").first.get_attribute("lang") == "en"
    ask(page, "¿Cuánto cuesta un programa intensivo ambulatorio?")
    answer = page.locator(BOT).nth(1)
    answer.wait_for(timeout=30_000)
    assert (answer.get_attribute("data-response") or "").startswith("utter_faq/"), answer.text_content()
    assert answer.locator(".iopchat-bubble").get_attribute("lang") == "es"
    assert page.get_by_test_id("input").get_attribute("placeholder") == "Escribe tu pregunta"
    assert page.locator("label[for=iopchat-input]").text_content() == "Escribe tu pregunta"
    assert page.get_by_test_id("send").text_content() == "Enviar"
    rate = answer.get_by_role("group", name="¿Te fue útil?")
    assert rate.get_by_role("button", name="Sí, me sirvió").count() == 1
    assert page.locator(".iopchat").get_attribute("lang") == "es"
    assert page.locator(f"{BOT} .iopchat-bubble").first.get_attribute("lang") == "en", "the greeting stays English"

    rate.get_by_role("button", name="No me sirvió").click()
    reasons = rate.get_by_role("group", name="¿Qué estuvo mal? (opcional)")
    reasons.wait_for(timeout=10_000)
    assert reasons.get_by_role("button").first.text_content() == "Respuesta equivocada"
    answer.get_by_test_id("vote-thanks").filter(has_text="Gracias por tu opinión.").wait_for(timeout=30_000)
    page.add_script_tag(path=str(ROOT / "node_modules" / "axe-core" / "axe.min.js"))
    result = page.evaluate("async () => await axe.run(document)")
    found = [(v["id"], v["impact"], v["help"]) for v in result["violations"]]
    report("widget", f"axe-core in a Spanish conversation: {len(found)} violations")
    assert found == []

    ask(page, "how long does intensive outpatient treatment last")
    page.locator(BOT).nth(2).wait_for(timeout=30_000)
    page.get_by_test_id("input").wait_for(timeout=10_000)
    assert page.locator(BOT).nth(2).locator(".iopchat-bubble").get_attribute("lang") == "en"
    assert page.get_by_test_id("input").get_attribute("placeholder") == "Type your question", "and back"
    assert answer.get_by_role("group", name="Was this helpful?").count() == 1, "older controls follow too"
    context.close()


def test_a_page_in_spanish_starts_the_widget_and_the_greeting_in_spanish(context, assistant):
    page = context.new_page()
    demo = (ROOT / "bot" / "widget" / "index.html").read_text(encoding="utf-8").replace('lang="en"', 'lang="es-MX"')
    page.route(assistant.url + "/chat/", lambda route: route.fulfill(body=demo, content_type="text/html"))
    page.goto(assistant.url + "/chat/")
    assert page.get_by_test_id("input").get_attribute("placeholder") == "Escribe tu pregunta"
    wait_for_response(page, "utter_greet")
    greeting = page.locator(BOT).first
    assert greeting.locator(".iopchat-bubble").get_attribute("lang") == "es"
    assert greeting.text_content().strip().split(": ", 1)[-1].startswith("¡Hola!")
    assert page.get_by_test_id("launcher").text_content() == "Chatea con nosotros"
