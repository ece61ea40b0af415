"""Lemmas with negation attached, so cue patterns survive inflection and "not received".

Polish and Russian inflect ("przyszedł/przyszła", "пришло/пришла"): a regex per form never
ends. Text is reduced to lower-case lemmas (the lemmatiser its language folder names:
simplemma, pymorphy3 or none), a negation particle is glued to the word it negates
("nie dotarło" -> ``nie_dotrzec``, "didn't arrive" -> ``not_arrive``), and diacritics are
folded (``ł``->``l``, ``ё``->``е``) so text typed without them reads the same. The result
is one space-padded string per text: cue patterns match " lemma" prefixes in it.

:func:`normalise` does one text, as the definition; :func:`normalise_texts` does a column
the same way, each distinct word looked up once (:mod:`flowkit.classify.tokens`).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from functools import cache, lru_cache
from typing import Any

import pandas as pd

from flowkit.classify import languages

__all__ = ["fold", "lemma", "negator_form", "normalise", "normalise_texts"]

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)


@languages.language_cache
def _fold_table() -> dict[int, str]:
    table: dict[str, str] = {}
    for lg in languages.languages().values():
        table.update(lg.fold)
    return str.maketrans(table) if table else {}


def fold(s: str) -> str:
    """Lower case, diacritics folded as the language folders say (what customers type without them)."""
    return s.lower().translate(_fold_table())


@cache
def _morph() -> Any:  # pymorphy3 ships no types
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@cache
def _simplemma_forms(lang: str) -> Mapping[str, str]:
    """simplemma's own dictionary for ``lang`` (shared with its lemmatiser: loaded once)."""
    from simplemma.strategies import DEFAULT_DICTIONARY_FACTORY

    return DEFAULT_DICTIONARY_FACTORY.get_dictionary(lang)


@languages.language_cache
def _only(code: str) -> re.Pattern[str] | None:
    pattern = languages.get(code).lemmatise_only
    return re.compile(pattern) if pattern else None


@languages.forget_on_reload
@lru_cache(maxsize=500_000)
def lemma(word: str, lang: str) -> str:
    """The lemma of one lower-case word in ``lang`` (numbers become ``0``, ``#`` or ``yyyy``)."""
    if word.isdigit():
        if len(word) == 4 and word[:2] in ("19", "20"):
            return "yyyy"
        return "0" if len(word) < 4 else "#"
    lg = languages.get(lang)
    fixed = lg.overrides.get(word)
    if fixed:
        return fixed
    only = _only(lang)
    if only is not None and not only.search(word):
        return word
    if lg.lemmatiser == "pymorphy3":
        return _morph().parse(word)[0].normal_form
    if lg.lemmatiser == "simplemma":
        import simplemma

        if lg.restore_diacritics and word.isascii():
            word = _restore(word, lang)
        found = simplemma.lemmatize(word, lang=lang)
        return found.lower() if found else word
    return word


def _restore(word: str, lang: str) -> str:
    """'dotarla' -> 'dotarła': the first spelling with diacritics the language's dictionary knows."""
    forms = _simplemma_forms(lang)
    if word in forms:
        return word
    accents = languages.get(lang).restore_diacritics
    slots = [i for i, ch in enumerate(word) if ch in accents]
    if not slots or len(slots) > 7:
        return word
    for combo in itertools.product(*(accents[word[i]] for i in slots)):
        cand = list(word)
        for i, ch in zip(slots, combo, strict=True):
            cand[i] = ch
        spelled = "".join(cand)
        if spelled != word and spelled in forms:
            return spelled
    return word


def negator_form(word: str, lem: str, lang: str) -> str:
    """How a negator is written when glued to the word it negates (``not``, ``nie``, ``не``)."""
    lg = languages.get(lang)
    if lg.negator_form == "word":
        return lg.negator_rename.get(word, word)
    return fold(word if word in lg.negators else lem)


@languages.language_cache
def _contractions(lang: str) -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((re.compile(p, re.I), r) for p, r in languages.get(lang).contractions)


def normalise(text: str, lang: str) -> str:
    """' lemma lemma not_lemma ... ' for one text (empty string for no text)."""
    if not isinstance(text, str) or not text.strip():
        return ""
    for rx, repl in _contractions(lang):
        text = rx.sub(repl, text)
    words = [w.lower() for w in _TOKEN.findall(text)]
    lg = languages.get(lang)
    neg, skip = lg.negators, lg.skip
    out: list[str] = []
    pending = None
    for w in words:
        lem = lemma(w, lang)
        if lem in neg or w in neg:
            if pending:
                out.append(pending)
            pending = negator_form(w, lem, lang)
            continue
        if pending and (lem in skip or w in skip):
            out.append(lem)
            continue
        if pending:
            out.append(f"{pending}_{lem}")
            pending = None
        else:
            out.append(lem)
    if pending:
        out.append(pending)
    return " " + fold(" ".join(out)) + " "


def normalise_texts(text: pd.Series, language: pd.Series) -> pd.Series:
    """``normalise`` for a whole column (vectorised: :func:`flowkit.classify.tokens.normalise_column`)."""
    from flowkit.classify.tokens import normalise_column

    return normalise_column(text, language)
