"""The two-question reader: a message that asks two things ("how much is it and does insurance
pay?") is split into its questions, and each is matched to the answer whose known phrasings it
is nearest in meaning (the sentence encoder), so both can be answered in the order asked.

The known phrasings are the FAQ phrasings of the training data, encoded when the server starts;
each part is classified by the phrasebook's logistic regression over them (meaning and spelling).
A split counts only when each part is a question of some length, both parts are given two different
answers with at least ``min_probability`` (chosen on the development set, tests/data/dev/: 0.65 split
30 of its 33 English and 9 of its 12 Spanish two-question messages rightly and 2 of its single questions
wrongly; 0.5 split one more Spanish one and 5 single questions; with meaning alone 0.5 had split 28, 7
and 1; the nearest phrasings alone, before that, 23 and 2). A message most likely in Spanish needs only
``min_probability_es``: on the development set 0.4 split 11 of its 12 Spanish two-question messages
rightly and none of its 150 Spanish single questions (0.45 and 0.5: 10; 0.55 to 0.65: 9; English at 0.4
split 8 single questions). A part that says "it" ("and how long does it last") is
also read with "iop" in its place, and the surer reading counts. A first part without a question
word ("price for iop per week plus how many weeks is it") is read as context for the second first,
then, if that gives no two answers, as a question of its own (no development-set message changed).
It emits ``first_question`` and ``second_question`` entities with the two answer keys. Runs on live
messages only.
"""
from __future__ import annotations

import re
from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.component import ConfiguredComponent, add_entity, visitor_texts
from bot.nlu.language import first_language
from bot.nlu.phrasebook import Phrasebook, faq_phrasebook
from bot.nlu.sentence_encoder import encode

# Where a message may change question: "?", "and", "&", "+", "also", "plus", "oh and", a comma or
# semicolon before a question word; in Spanish "y", "y también", "además" before one (not a
# comma: in Spanish it joins the parts of one question too often, on the development set).
_ENGLISH_QUESTION_WORD = (r"(?:how|what|whats|what's|does|do|is|are|can|could|will|would|should|when|where|who|"
                          r"why|which|if|any|and|also|plus|u|r)")
_QUESTION_WORD = (r"(?:how|what|whats|what's|does|do|is|are|can|could|will|would|should|when|where|who|why|which|"
                  r"if|any|and|also|plus|u|r|"
                  r"qu[eé]|c[oó]mo|cu[aá]nto|cu[aá]nta|cu[aá]ntos|cu[aá]ntas|cu[aá]ndo|d[oó]nde|qui[eé]n|qui[eé]nes|"
                  r"cu[aá]l|cu[aá]les|hay|puedo|puede|pueden|tienen|tiene|aceptan|acepta|hacen|necesito|debo|"
                  r"es|son|se|si|me|el|la|los|las|en|y|tambi[eé]n|adem[aá]s)")
_SPLIT = re.compile(rf"\?+\s*|\s+(?:and|&|\+|also|plus|oh and|and also|n|y|y tambi[eé]n|y adem[aá]s|adem[aá]s)\s+"
                    rf"(?={_QUESTION_WORD}\b)|[,;]\s+(?={_ENGLISH_QUESTION_WORD}\b)", re.I)
# A part that asks something although it does not start with a question word
# ("inpatient vs residential whats the difference"): a question, not context for the next part.
_ASKS_WITHIN = re.compile(r"\b(?:how|what|whats|what's|when|where|who|whos|why|which|vs|versus|difference|diff)\b",
                          re.I)
# "it" in a part is almost always the program: "and who is it for" -> "and who is iop for"
_IT = re.compile(r"\b(?:it|its|it's)\b", re.I)
_ASKS = re.compile(rf"^[¿¡]?(?:and |also |plus |so |but |y |pero )?[¿¡]?{_QUESTION_WORD}\b", re.I)
MIN_WORDS = 3
def split(text: str, context_first: bool = True) -> list[str]:
    """The message's questions. A part that is not a question ("my son is 16") is context:
    it joins the question after it (unless ``context_first`` is off: "price for iop per week plus how
    many weeks" asks without a question word). Parts shorter than MIN_WORDS words join the one before."""
    parts = [p.strip(" .!,;¿¡") for p in _SPLIT.split(text) if p and p.strip(" .!,;¿¡")]
    questions: list[str] = []
    context = ""
    for part in parts:
        if (context_first and not _ASKS.match(part) and not _ASKS_WITHIN.search(part) and part is not parts[-1]
                and not questions):
            context = f"{context} {part}".strip()
            continue
        if context:
            part, context = f"{context} {part}", ""
        if questions and len(part.split()) < MIN_WORDS:
            questions[-1] = f"{questions[-1]} {part}"
        else:
            questions.append(part)
    return questions


def two_questions(text: str, min_probability: float, book: Phrasebook | None = None,
                  own_question: float | None = None) -> tuple[str, str] | None:
    """The answer keys of the two questions in ``text``, in order, or None. A first part without a
    question word is read as context first, then as a question of its own: then both parts must be
    read at least ``own_question`` surely (the reader passes its English ``min_probability``, so a
    Spanish message is held to it too: "diferencia entre el IOP y el tratamiento residencial" is one
    question); by default ``min_probability``."""
    tried: list[list[str]] = []
    for context_first in (True, False):
        parts = split(text, context_first)
        if parts not in tried and len(parts) == 2 and (_ASKS.match(parts[1]) or "?" in text):
            tried.append(parts)
            # read as its own question, a first part is no subject for the second's "it"
            # ("my doctor wants me in a partial hospitalization program, what is it")
            sure = min_probability if context_first else max(min_probability, own_question or min_probability)
            found = _read_two(parts, sure, book or faq_phrasebook(), it_is_iop=context_first)
            if found:
                return found
    return None


def _read_two(parts: list[str], min_probability: float, book: Phrasebook, it_is_iop: bool) -> tuple[str, str] | None:
    readings = [[part, _IT.sub("iop", part)] if it_is_iop and _IT.search(part) else [part] for part in parts]
    vectors = iter(encode([reading for both in readings for reading in both]))
    keys = []
    for both in readings:
        best = max((book.classify(next(vectors), reading)[0] for reading in both), key=lambda match: match.score)
        if best.score < min_probability:
            return None
        keys.append(best.key)
    return (keys[0], keys[1]) if keys[0] != keys[1] else None


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class TwoQuestionReader(ConfiguredComponent, EntityExtractorMixin):
    """Emits ``first_question`` / ``second_question`` entities for a message that asks two things."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        faq_phrasebook().fit()  # read (or make) the known phrasings' vectors and classifier when the server starts

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"min_probability": 0.5, "min_probability_es": None}

    @staticmethod
    def required_packages() -> list[str]:
        return ["onnxruntime", "tokenizers"]

    def _min_probability(self, text: str) -> float:
        """The configured sureness, or ``min_probability_es`` for a message most likely in Spanish
        (the classifier reads Spanish less surely: its phrasings are fewer and the encoder is English)."""
        spanish = self.config.get("min_probability_es")
        if spanish is not None and first_language(text) == "es":
            return float(spanish)
        return float(self.config["min_probability"])

    def process(self, messages: list[Message]) -> list[Message]:
        for message, text in visitor_texts(messages):
            found = two_questions(text, self._min_probability(text), own_question=float(self.config["min_probability"]))
            if found:
                for name, key in zip(("first_question", "second_question"), found, strict=True):
                    add_entity(message, name, key, self.__class__.__name__)
        return messages
