"""The sense tagger: which meaning of "IOP" and "PHP" a message carries, read from cue words.

To this assistant's visitors IOP is an intensive outpatient program; to others it
is intraocular pressure (eye) or a typo for IPO (stock). PHP is a partial
hospitalization program here, and also a programming language. Cue words live in
``bot/data/sense_cues.yml`` (staff can extend it); they are matched with spaCy's
``Matcher`` on lemmas, on exact spellings and, for misspellings, with rapidfuzz.

The Rasa component emits entities the dialogue uses: ``iop_sense`` (treatment |
eye | stock), ``php_sense`` (treatment | programming) and ``acronym`` (iop | php)
when the acronym itself appears. It runs on live messages only (not in training),
so an edited cue file takes effect when the server restarts; no retraining.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.utils.spacy_utils import SpacyModel
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.component import ConfiguredComponent, add_entity
from bot.nlu.fuzzy import Candidates, is_english_word

if TYPE_CHECKING:
    import spacy
    from spacy.tokens import Doc, Token

DEFAULT_CUES_PATH = Path(__file__).resolve().parents[1] / "data" / "sense_cues.yml"
SPACY_DOC = "text_spacy_doc"  # where SpacyNLP keeps the parsed message
IOP_SENSES = ("treatment", "eye", "stock")
WEIGHTS = {"strong": 2, "weak": 1}
IGNORE = "ignore"  # pseudo-sense: phrases whose words are not cues

FUZZY_MIN_LENGTH = 5  # shorter cues ("eye", "ipo") match exactly only
# Words that link a reading word to its number: "iop is 24", "pressure of 21".
LINKING_WORDS = frozenset(
    "is was are were be been 's of around about still now reading measured "
    "went go up down to only just like = : ~ my the in right left both eye eyes".split())
# A number followed by one of these is a duration or a price, not a reading.
UNITS = frozenset(
    "day week hour hr hrs time session month year yr yrs minute min mins am pm "
    "a.m. p.m. % percent dollar buck grand k x people person patient step".split())
PHP_MAJOR_VERSIONS = range(3, 10)
# "iop date for stripe", "la iop de stripe": words between an IOP and the company it belongs to
COMPANY_LINKS = frozenset("for of from by de del date price the la el".split())
RANGE_WORDS = frozenset("or to - – through x times".split())
EYE_READING = range(5, 81)  # plausible intraocular pressures, in mmHg
READING_NUMBER = re.compile(r"\d{1,2}(?:\.\d)?")
MMHG_TOKEN = re.compile(r"\d+(?:\.\d+)?mmhg")
PHP_WORD = re.compile(r"php\d[\d.]*|\S+\.php|php\.ini|<\?php")  # "php8.1", "index.php"
# Only code looks like this: "php 7.4", "$row", "json_decode", "explode()", "->".
CODE_IN_TEXT = re.compile(r"\$_?[A-Za-z]\w*|->|::|<\?")  # "$_POST" is split into tokens
CODE_SHAPED = re.compile(r"\d+\.\d+|\$\w+|\w+_\w+|\w+\(\)|->|::")


@dataclass(frozen=True)
class SenseReading:
    iop_sense: str | None  # "treatment" | "eye" | "stock" | None (no cue, or a tie)
    php_sense: str | None  # "programming" | "treatment" | None; set only when PHP is mentioned
    mentions_iop: bool  # "iop" / "I.O.P." / "IOPs" as a word (not inside "biopsy")
    mentions_php: bool
    cues: tuple[str, ...]  # which cues matched, for debugging
    # Treatment read from everyday words only ("day", "cost", "family"): a hint that decides a new
    # conversation but does not turn one about eye pressure or a stock offering into treatment talk.
    hint_only: bool = False


@dataclass(frozen=True)
class _Cue:
    sense: str
    weight: int
    phrase: str
    exact: bool  # some word is matched on its spelling, not on its lemma


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    cue: _Cue


class SenseReader:
    """Reads the IOP / PHP sense of a spaCy doc from the cue file."""

    def __init__(self, nlp: spacy.Language, cues_path: Path = DEFAULT_CUES_PATH) -> None:
        from spacy.matcher import Matcher

        self._nlp = nlp
        self._lemmas = _lemma_table(nlp)
        self._matcher = Matcher(nlp.vocab)
        self._cues: dict[int, _Cue] = {}
        data = yaml.safe_load(cues_path.read_text(encoding="utf-8"))
        for sense, groups in data["senses"].items():
            for strength, phrases in groups.items():
                for phrase in phrases:
                    self._add(sense, WEIGHTS[strength], str(phrase))
        for phrase in data.get("ignore", []):
            self._add(IGNORE, 0, str(phrase))
        self._reading_words = frozenset(data.get("eye_reading_words", []))
        self._companies = frozenset(str(name).lower() for name in data.get("stock_companies", []))
        self._cue_words = frozenset(word for cue in self._cues.values() for word in cue.phrase.split())
        # Misspellings are looked up among one-word cues with the same first letter.
        self._fuzzy_targets = Candidates(
            cue.phrase for cue in self._cues.values()
            if cue.sense != IGNORE and " " not in cue.phrase and len(cue.phrase) >= FUZZY_MIN_LENGTH)

    def read(self, doc: Doc) -> SenseReading:
        words, notes = self._spellings(doc)
        lowered = self._lemmatised(words, [bool(token.whitespace_) for token in doc])
        spans = self._non_overlapping(self._matches(lowered))
        hits = [hit for hit in spans if hit.cue.sense != IGNORE]
        hits += self._eye_readings(lowered, spans)
        hits += self._company_offerings(lowered)

        mentions_iop = any(_plain(token.lower_) in ("iop", "iops") for token in doc)
        mentions_php = any(_is_php(token.lower_) for token in doc)
        scores = Counter[str]()
        for hit in hits:
            scores[hit.cue.sense] += hit.cue.weight
        php_sense = None
        if mentions_php:
            if _has_code_shape(doc):
                scores["programming"] += 2
                notes.append("programming:code-shaped token")
            elif versions := _php_versions(lowered):
                scores["programming"] += min(2, versions)  # "php 8 vs php 7": one version is a hint, two settle it
                notes.append(f"programming:{versions} version number(s)")
            # Two levels of care named together ("php vs iop") are treatment talk.
            php_sense = _decide({"programming": scores["programming"],
                                 "treatment": scores["treatment"] + mentions_iop})
        iop_sense = _iop_sense(scores, php_sense, both_named=mentions_iop and mentions_php)
        cues = tuple(notes + [f"{hit.cue.sense}:{hit.cue.phrase}" for hit in hits])
        hint_only = iop_sense == "treatment" and not (mentions_iop and mentions_php) and not any(
            hit.cue.sense == "treatment" and hit.cue.weight >= WEIGHTS["strong"] for hit in hits)
        return SenseReading(iop_sense, php_sense, mentions_iop, mentions_php, cues, hint_only)

    # --- building -------------------------------------------------------------
    def _add(self, sense: str, weight: int, phrase: str) -> None:
        words = [token.lower_ for token in self._nlp.make_doc(phrase.lower())]
        # A word written in its base form matches every form of it; any other
        # form ("shares", "eating" disorder) matches only that spelling.
        # Ignored phrases match their exact spelling only: "in stock" must not swallow "in stocks".
        pattern = [{"LEMMA": token.lemma_} if token.lemma_ == token.lower_ and sense != IGNORE
                   else {"LOWER": token.lower_}
                   for token in self._lemmatised(words, [True] * len(words))]
        cue = _Cue(sense, weight, " ".join(words), exact=any("LOWER" in p for p in pattern))
        key = f"{sense}:{weight}:{cue.phrase}"
        self._cues[self._nlp.vocab.strings.add(key)] = cue
        self._matcher.add(key, [pattern])

    def _lemmatised(self, words: list[str], spaces: list[bool]) -> Doc:
        """A lowercase copy of the words with lookup lemmas (the pipeline keeps
        the case of words it does not know, so "Programs" would stay as is)."""
        from spacy.tokens import Doc

        lowered = Doc(self._nlp.vocab, words=words, spaces=spaces)
        cue_words: frozenset[str] = getattr(self, "_cue_words", frozenset())
        for token in lowered:
            word = token.lower_
            lemma = self._lemmas.get(word, word)
            if lemma == word and word.endswith("s") and word[:-1] in cue_words:
                lemma = word[:-1]  # a plural the lookup table lacks ("stocks")
            token.lemma_ = lemma
        return lowered

    # --- reading --------------------------------------------------------------
    def _spellings(self, doc: Doc) -> tuple[list[str], list[str]]:
        """The doc's words in lowercase with misspelt cue words put right
        ("glaucomma" -> "glaucoma"), and a note of each fix."""
        words, notes = [], []
        for token in doc:
            word = token.lower_
            if MMHG_TOKEN.fullmatch(word):
                word = "mmhg"  # "21mmHg" is one token
            elif self._may_be_misspelt(token) and (cue := self._closest_cue(word)):
                notes.append(f"fuzzy:{word}->{cue}")
                word = cue
            words.append(word)
        return words, notes

    def _may_be_misspelt(self, token: Token) -> bool:
        word = token.lower_
        starts_sentence = token.i == 0 or token.nbor(-1).text in (".", "!", "?")
        return (len(word) >= FUZZY_MIN_LENGTH and word.isalpha() and word not in self._cue_words
                and not (token.is_title and not starts_sentence)  # a name ("Peyton")
                and not is_english_word(word))

    def _closest_cue(self, word: str) -> str | None:
        if len(word) >= 7:
            # one dropped, doubled or swapped letter; a wrong one from 8 letters
            return self._fuzzy_targets.closest(word, 86)
        # Short words: one slip ("stokc", "shairs"), and about the cue's length.
        return self._fuzzy_targets.closest(word, 80, max_length_gap=1)

    def _matches(self, lowered: Doc) -> list[_Hit]:
        return [_Hit(start, end, self._cues[key]) for key, start, end in self._matcher(lowered)]

    @staticmethod
    def _non_overlapping(hits: list[_Hit]) -> list[_Hit]:
        """Longest match wins ("programming language" over "program"); on equal
        length an exact spelling beats a lemma."""
        kept: list[_Hit] = []
        taken: set[int] = set()
        for hit in sorted(hits, key=lambda h: (h.start - h.end, not h.cue.exact, h.start)):
            span = set(range(hit.start, hit.end))
            if not span & taken:
                kept.append(hit)
                taken |= span
        return sorted(kept, key=lambda h: h.start)

    def _eye_readings(self, lowered: Doc, spans: list[_Hit]) -> list[_Hit]:
        """ "iop is 24", "pressure of 21", "iop pressure": pressure as the eye's.
        Bare "pressure" (peer pressure, pressure at work) is no eye cue."""
        eye_tokens = {i for hit in spans if hit.cue.sense == "eye" for i in range(hit.start, hit.end)}
        covered = {i for hit in spans for i in range(hit.start, hit.end)}
        readings = []
        for token in lowered:
            if _plain(token.lemma_) not in self._reading_words or token.i in covered:
                continue
            before = token.i - 1
            after_eye_word = before >= 0 and (before in eye_tokens or _plain(lowered[before].lower_) == "iop")
            if after_eye_word or _number_follows(lowered, token.i + 1):
                readings.append(_Hit(token.i, token.i + 1, _Cue("eye", 2, f"reading {token.lower_}", False)))
        return readings

    def _company_offerings(self, lowered: Doc) -> list[_Hit]:
        """ "the stripe iop", "iop date for stripe", "la iop de stripe": a company named next to
        IOP is a stock offering. A company named anywhere else is no cue ("i work at tesla")."""
        hits = []
        for token in lowered:
            if _plain(token.lower_) not in ("iop", "iops"):
                continue
            before = [t for t in lowered[max(0, token.i - 2):token.i] if t.lower_ not in ("'s", "s")]
            named = [t for t in before[-1:] if t.lower_ in self._companies]
            # after it, past linking words and articles: the first other word
            following = next((t for t in lowered[token.i + 1:token.i + 5]
                              if t.lower_ not in COMPANY_LINKS), None)
            if following is not None and following.lower_ in self._companies:
                named.append(following)
            hits += [_Hit(t.i, t.i + 1, _Cue("stock", 2, f"company {t.lower_}", False)) for t in named[:1]]
        return hits


def _has_code_shape(doc: Doc) -> bool:
    """ "php8.1", "index.php", "$_POST" or a code-shaped token can only be the language."""
    if CODE_IN_TEXT.search(doc.text):
        return True
    return any(PHP_WORD.fullmatch(token.lower_) or CODE_SHAPED.fullmatch(token.text) for token in doc)


def _php_versions(doc: Doc) -> int:
    """How often "php" is followed by a bare version number ("php 8", "php 7 vs php 8"), not by a
    count of days or hours ("php 5 days a week") or a range ("php 3 or 4 times")."""
    found = 0
    for i, token in enumerate(doc[:-1]):
        number, after = doc[i + 1], doc[i + 2] if i + 2 < len(doc) else None
        if _plain(token.lower_) != "php" or not number.text.isdigit() or int(number.text) not in PHP_MAJOR_VERSIONS:
            continue
        if after is not None and (after.lemma_ in UNITS or after.lower_.rstrip("s") in UNITS
                                  or after.lower_ in RANGE_WORDS):
            continue
        found += 1
    return found


def _iop_sense(scores: Counter[str], php_sense: str | None, both_named: bool) -> str | None:
    iop_scores = {sense: scores[sense] for sense in IOP_SENSES}
    if php_sense == "programming":
        iop_scores["treatment"] = 0  # "php developer job": the job is not about IOP
    elif both_named:
        iop_scores["treatment"] += 1  # "php vs iop": two levels of care
    return _decide(iop_scores)


def _decide(scores: dict[str, int]) -> str | None:
    """The sense with the highest score; none without cues or on a tie."""
    ranked = sorted(scores.items(), key=lambda item: item[1], reverse=True)
    if not ranked or ranked[0][1] == 0 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return None
    return ranked[0][0]


def _number_follows(doc: Doc, start: int) -> bool:
    """A plausible eye-pressure number soon after, not a duration or a price."""
    for token in doc[start:start + 4]:
        if token.lower_ in LINKING_WORDS:
            continue
        if token.lower_ == "mmhg":
            return True
        if not READING_NUMBER.fullmatch(token.text) or round(float(token.text)) not in EYE_READING:
            return False
        following = doc[token.i + 1] if token.i + 1 < len(doc) else None
        # "am" is checked as spelt: its lemma is "be"
        return following is None or not {following.lower_, following.lemma_} & UNITS
    return False


def _plain(word: str) -> str:
    return word.replace(".", "").replace("'", "")


def _is_php(word: str) -> bool:
    return _plain(word) in ("php", "phps") or bool(PHP_WORD.fullmatch(word))


def _lemma_table(nlp: spacy.Language) -> Any:
    """The lookup lemmatizer's table, or an empty dict for a pipeline without one."""
    if "lemmatizer" not in nlp.pipe_names:
        return {}
    lookups = getattr(nlp.get_pipe("lemmatizer"), "lookups")  # noqa: B009 - spaCy types a pipe as Pipe
    return lookups.get_table("lemma_lookup") if lookups.has_table("lemma_lookup") else {}


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False, model_from="SpacyNLP"
)
class SenseTagger(ConfiguredComponent, EntityExtractorMixin):
    """Adds the sense entities that ``SenseReader`` reads to each message."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._tagger: SenseReader | None = None

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {"cues_file": None}

    @staticmethod
    def required_packages() -> list[str]:
        return ["spacy", "rapidfuzz"]

    @staticmethod
    def _cues_args(config: dict[str, Any]) -> tuple[Path, ...]:
        from bot.settings import ROOT

        path = config.get("cues_file")
        return (ROOT / Path(path),) if path else ()

    def _get_tagger(self, model: SpacyModel) -> SenseReader:
        if self._tagger is None:
            self._tagger = SenseReader(model.model, *self._cues_args(self.config))
        return self._tagger

    def process(self, messages: list[Message], model: SpacyModel) -> list[Message]:
        tagger = self._get_tagger(model)
        for message in messages:
            doc = message.get(SPACY_DOC)
            text = message.get(TEXT) or ""
            if doc is None or not text:
                continue
            reading = tagger.read(doc)
            found = [
                ("iop_hint" if reading.hint_only else "iop_sense", reading.iop_sense),
                ("php_sense", reading.php_sense),
                ("acronym", "iop" if reading.mentions_iop else None),
                ("acronym", "php" if reading.mentions_php and not reading.mentions_iop else None),
            ]
            for name, value in found:
                if value:
                    add_entity(message, name, value, self.__class__.__name__)
        return messages
