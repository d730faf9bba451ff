"""The term normaliser: misspelt domain words are fixed, everything else is kept."""
from __future__ import annotations

import pytest

from bot.nlu.normalizer import normalize


@pytest.mark.parametrize(("text", "expected"), [
    ("intensiv outpatint", "intensive outpatient"),
    ("partial hospitilization", "partial hospitalization"),
    ("insurence", "insurance"),
    ("theraphy", "therapy"),
    ("rehabilitaton", "rehabilitation"),
    ("medicade", "medicaid"),
    ("does my insurence cover theraphy?", "does my insurance cover therapy?"),
    ("Insurence?", "Insurance?"),
    ("INTENSIV OUTPATINT", "INTENSIVE OUTPATIENT"),
    ("my councelor said so", "my counselor said so"),
    ("do you take medcaid", "do you take medicaid"),
    ("is there a deductable", "is there a deductible"),
    ("the insurences i have", "the insurances i have"),
    ("alchohol and drugs", "alcohol and drugs"),
    ("sobreity is hard", "sobriety is hard"),
    # acronyms
    ("what is I.O.P.?", "what is IOP?"),
    ("i.o.p schedule", "IOP schedule"),
    ("I O P or P.H.P.", "IOP or PHP"),
    ("are I.O.P.s covered", "are IOPs covered"),
    ("I. O. P. hours", "IOP hours"),
])
def test_fixes_domain_typos(text: str, expected: str) -> None:
    assert normalize(text) == expected


@pytest.mark.parametrize("word", [
    "patient", "patients", "intention", "hospitality", "partially", "insure",
    "programmer", "progress", "process", "outpost", "therapist", "detour", "treat",
    "relax", "schedule", "scheduled", "insured", "ensure", "impatient", "intense",
    "position", "inpatients", "therapies", "programs", "medicore", "behaviorally",
    "cosplays", "Peyton", "ok", "iop", "detx",  # too short to guess: left alone
])
def test_leaves_other_words_alone(word: str) -> None:
    assert normalize(f"about {word} here") == f"about {word} here"


@pytest.mark.parametrize("text", [
    "How much does IOP cost per week?",
    "  two  spaces,\ttabs\nand newlines  ",
    "i'm SO tired of this... can't sleep 😞",
    "call me at 555-0100 or mail insurence@example.com",
    "see https://example.com/theraphy-info",
    "php8.1 and index.php and $var_name",
    "",
    "my son's therapist wants him in a partial hospitalization program",
    "I.O.U. and a.m. and e.g. stay",
    # Spanish words one slip from an English term stay Spanish (the language detector reads this text)
    "que es un programa intensivo ambulatorio",
    "que es la hospitalizacion parcial o el tratamiento residencial",
    "aceptan medicamentos como la naltrexona en la rehabilitacion?",
])
def test_messages_without_domain_typos_are_byte_identical(text: str) -> None:
    assert normalize(text) == text


@pytest.mark.parametrize("text", [
    "intensiv outpatint at I.O.P. with insurence",
    "what is P.H.P. and theraphy",
    "Rehabilitaton, MEDICADE, partial hospitilization!",
    "nothing to fix here",
])
def test_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once
