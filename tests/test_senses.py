"""The sense tagger: which meaning of IOP / PHP a message carries."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.nlu.sense_tagger import SenseReader

CASES_PATH = Path(__file__).resolve().parent / "data" / "sense_cases.yml"


@pytest.fixture(scope="module")
def nlp():
    import spacy

    from bot import spacy_pipeline

    if not spacy_pipeline.is_built():
        spacy_pipeline.build()
    return spacy.load(spacy_pipeline.PIPELINE_DIR)


@pytest.fixture(scope="module")
def tagger(nlp) -> SenseReader:
    return SenseReader(nlp)


@pytest.fixture(scope="module")
def read(nlp, tagger):
    return lambda text: tagger.read(nlp(text))


@pytest.mark.parametrize(("text", "iop_sense", "php_sense"), [
    # treatment
    ("how many hours a day is iop", "treatment", None),
    ("Programs like IOP for my teenager", "treatment", None),
    ("does medicaid pay for iop", "treatment", None),
    ("peer pressure to drink, would iop help", "treatment", None),
    ("i struggle to share in group, is iop all group therapy", "treatment", None),
    ("time to take stock of my life and get sober, iop?", "treatment", None),
    ("billing code for iop", "treatment", None),
    ("intensiv outpatint near me", "treatment", None),
    ("my theraphist recommended iop", "treatment", None),
    ("PHP vs IOP", "treatment", "treatment"),
    ("php program for my daughter", "treatment", "treatment"),
    ("step down from partial hospitalization", "treatment", None),
    ("can I keep going to work while in IOP", "treatment", None),
    ("iop is 3 days a week, 3 hours each", "treatment", None),
    # eye
    ("what is glaucoma", "eye", None),
    ("my IOP is 24, is that high", "eye", None),
    ("IOP 18mmHg in the right eye", "eye", None),
    ("what is a normal iop pressure", "eye", None),
    ("pressure of 21 in both eyes", "eye", None),
    ("glaucomma and iop", "eye", None),
    ("Opthamologist checked my iop", "eye", None),
    ("intraoccular pressure", "eye", None),
    ("what does opthalmology say about iop", "eye", None),
    ("tonometery results", "eye", None),
    ("treatment for high eye pressure", "eye", None),
    ("do eye drops lower iop", "eye", None),
    # stock
    ("when is the next big ipo", "stock", None),
    ("IPOs this week on the NYSE", "stock", None),
    ("when did that company go public", "stock", None),
    ("it went public last year, is the iop price up", "stock", None),
    ("how many shairs in an iop", "stock", None),
    ("iop stokc", "stock", None),
    ("is this iop a good invesment", "stock", None),
    ("buy iop shares on robinhood", "stock", None),
    # no cue, or cues that only look like one
    ("what is iop", None, None),
    ("my biopsy results came back", None, None),
    ("qwertyuiop", None, None),
    ("peer pressure at school", "treatment", None),  # school, not the eye
    ("so much pressure at work lately", None, None),
    ("can you share what iop means", None, None),
    ("she shares a lot about iop", None, None),
    ("compression stockings", None, None),
    ("sharing is caring", None, None),
    ("we need to make progress on the process", None, None),
    ("is the prescription program in stock", "treatment", None),
    ("iop: eye or shares?", None, None),  # one weak cue each: a tie, so ask
    # php
    ("what is php", None, None),
    ("php laravel", None, "programming"),
    ("php developer job opening", None, "programming"),
    ("install php 8.1 on ubuntu", None, "programming"),
    ("php json_decode returns null", None, "programming"),
    ("is php a good programming language", None, "programming"),
    ("billing code for php", "treatment", "treatment"),
    ("what is P.H.P.?", None, None),
    ("does php have group therapy", "treatment", "treatment"),
    # "in stock" is ignored in that spelling only
    ("what is an iop in stocks", "stock", None),
    ("is the iop in stock", None, None),
    # Spanish cues, accented or not
    ("cuál es la presión intraocular normal", "eye", None),
    ("mi PIO salio en 23", "eye", None),
    ("el iop de mis ojos es alto", "eye", None),
    ("cuando sale a bolsa esa empresa, su iop", "stock", None),
    ("iop o oferta publica inicial", "stock", None),
    ("iop para mi hijo con adiccion", "treatment", None),
    ("php en programación web", None, "programming"),
    ("php o hospitalización parcial en salud mental", "treatment", "treatment"),
])
def test_senses(read, text: str, iop_sense: str | None, php_sense: str | None) -> None:
    reading = read(text)
    assert (reading.iop_sense, reading.php_sense) == (iop_sense, php_sense), reading.cues


@pytest.mark.parametrize(("text", "iop", "php"), [
    ("what is iop", True, False),
    ("explain I.O.P. please", True, False),
    ("i.o.p", True, False),
    ("are all IOPs the same", True, False),
    ("IOP's schedule", True, False),
    ("my biopsy results", False, False),
    ("qwertyuiop row", False, False),
    ("P.H.P. or IOP?", True, True),
    ("index.php not found", False, True),
    ("graphpaper", False, False),
])
def test_mentions(read, text: str, iop: bool, php: bool) -> None:
    reading = read(text)
    assert (reading.mentions_iop, reading.mentions_php) == (iop, php)


@pytest.mark.parametrize(("typo", "cue"), [
    ("glaucomma", "glaucoma"),
    ("opthamologist", "ophthalmologist"),
    ("intraoccular", "intraocular"),
    ("opthalmology", "ophthalmology"),
    ("tonometery", "tonometry"),
    ("stokc", "stock"),
    ("shairs", "shares"),
    ("invesment", "investment"),
])
def test_misspelt_cues_are_recognised(read, typo: str, cue: str) -> None:
    assert f"fuzzy:{typo}->{cue}" in read(f"about {typo}").cues


@pytest.mark.parametrize("word", [
    "program", "programs", "programming", "pressure", "prescription", "process",
    "progress", "stocking", "stockings", "sharing", "shared", "insure", "eyeliner",
    "Peyton",  # a capitalised name inside a sentence is not a typo
])
def test_ordinary_words_are_not_misread(read, word: str) -> None:
    cues = read(f"tell me about {word} and iop").cues
    assert not any(cue.startswith("fuzzy:") for cue in cues)
    assert read(f"tell me about {word} and iop").iop_sense in (None, "treatment")


def test_cue_file_is_extensible(nlp, tmp_path: Path) -> None:
    """Base forms match every form; other forms match their spelling only."""
    cues = tmp_path / "cues.yml"
    cues.write_text(yaml.safe_dump({
        "senses": {"treatment": {"strong": ["equine therapy"]}, "eye": {"weak": ["goggles"]},
                   "stock": {"weak": ["shares"]}, "programming": {"strong": ["laravel"]}},
        "ignore": [], "eye_reading_words": ["iop"],
    }))
    tagger = SenseReader(nlp, cues)
    assert tagger.read(nlp("Equine therapies and iop")).iop_sense == "treatment"
    assert tagger.read(nlp("iop shares")).iop_sense == "stock"
    assert tagger.read(nlp("iop sharing")).iop_sense is None
    assert tagger.read(nlp("my iop is 19")).iop_sense == "eye"


def _label(value: str | None) -> str | None:
    return None if value in (None, "none") else value


def test_labelled_sense_cases(read) -> None:
    """At least 95% of the independently labelled cases are read exactly right."""
    cases = yaml.safe_load(CASES_PATH.read_text(encoding="utf-8"))
    misses = []
    for case in cases:
        reading = read(case["text"])
        expected = (_label(case["iop_sense"]), _label(case["php_sense"]))
        if (reading.iop_sense, reading.php_sense) != expected:
            misses.append(f"{case['text']!r}: expected {expected}, got "
                          f"{(reading.iop_sense, reading.php_sense)} from {reading.cues}")
    accuracy = 1 - len(misses) / len(cases)
    print(f"sense_cases.yml: {len(cases) - len(misses)}/{len(cases)} right ({accuracy:.1%})")
    print("\n".join(misses))
    assert accuracy >= 0.95, "\n".join(misses)


@pytest.mark.parametrize(("text", "iop_sense", "php_sense"), [
    ("is it smart to invest in an iop on day one", "stock", None),  # investing is the stock sense
    ("when is the iop for that ai company", "stock", None),
    ("what is $_POST in php", None, "programming"),  # "$_POST" is split by the tokenizer
])
def test_investing_company_and_code_cues(read, text, iop_sense, php_sense):
    reading = read(text)
    assert (reading.iop_sense, reading.php_sense) == (iop_sense, php_sense), reading.cues


@pytest.mark.parametrize(("text", "iop_sense"), [
    # a company named next to IOP is its stock offering
    ("any news on the klarna iop", "stock"),
    ("expected iop price for canva?", "stock"),
    ("has the date of the iop of spacex been set", "stock"),
    ("la iop de shein cuando", "stock"),
    ("nvidia's iop was years ago right", "stock"),
    # named anywhere else, a company is someone's employer or an app: no cue
    ("my husband works at nvidia, could he do iop in the evenings", "treatment"),
    ("does iop conflict with my shift at tesla", None),
    ("i heard about iop on a netflix documentary", None),
])
def test_companies_count_only_next_to_iop(read, text, iop_sense):
    reading = read(text)
    assert reading.iop_sense == iop_sense, reading.cues


def test_company_cue_list_is_read_from_the_cue_file(nlp, tmp_path: Path) -> None:
    cues = tmp_path / "cues.yml"
    cues.write_text(yaml.safe_dump({"senses": {"treatment": {"weak": ["program"]}, "stock": {"weak": ["shares"]}},
                                    "stock_companies": ["acmecorp"]}), encoding="utf-8")
    tagger = SenseReader(nlp, cues)
    assert tagger.read(nlp("the acmecorp iop")).iop_sense == "stock"
    assert tagger.read(nlp("the stripe iop")).iop_sense is None  # not in this file
