"""Lemmas with negation attached, so cue patterns survive inflection and "not received".

Polish and Russian inflect ("przyszedł/przyszła", "пришло/пришла"): a regex per form never
ends. Each distinct text is reduced once to lower-case lemmas (simplemma for English and
Polish, pymorphy3 for Russian), a negation particle is glued to the word it negates
("nie dotarło" -> ``nie_dotrzec``, "didn't arrive" -> ``not_arrive``), and diacritics are
folded (``ł``->``l``, ``ё``->``е``) so text typed without them reads the same. The result
is one space-padded string per text: cue patterns match " lemma" prefixes in it.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache

import pandas as pd

__all__ = ["fold", "normalise", "normalise_texts"]

_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_NEGATORS = {
    "en": {"not", "no", "never", "nobody", "nothing", "without"},
    "pl": {"nie", "brak", "bez", "nikt", "nigdy", "nic"},
    "ru": {"не", "нет", "ни", "никто", "никогда", "ничего", "без"},
}
#: words a negation reaches over to the word it negates ("has not yet been delivered")
_SKIP = {
    "en": {
        "be",
        "have",
        "yet",
        "even",
        "ever",
        "still",
        "been",
        "really",
        "actually",
        "any",
        "a",
        "an",
        "the",
        "my",
        "me",
        "i",
        "it",
        "we",
        "us",
        "one",
        "at",
        "all",
    },
    "pl": {"być", "zostać", "jeszcze", "już", "się", "mi", "mnie", "nam", "w", "ogóle", "to", "ten", "ta", "żaden"},
    "ru": {
        "быть",
        "ещё",
        "еще",
        "уже",
        "так",
        "и",
        "мне",
        "нам",
        "мой",
        "вообще",
        "то",
        "этот",
        "один",
        "меня",
        "нас",
        "я",
        "мы",
        "в",
        "на",
    },
}
#: where the lemmatiser's first guess is wrong for service text ("nie ma" is "has not", not "my")
_OVERRIDES = {
    "pl": {
        "ma": "mieć",
        "mam": "mieć",
        "masz": "mieć",
        "zła": "zły",
        "złe": "zły",
        "zla": "zły",
        "zle": "źle",
        "zło": "zły",
        "dni": "dzień",
        "razy": "raz",
        "dalej": "dalej",
        "dzieje": "dziać",
        "zamówienie": "zamówienie",
        "zamowienie": "zamówienie",
    },
    "ru": {},
    "en": {},
}
_CONTRACTIONS = [
    (re.compile(r"\bcan['’]?t\b", re.I), "can not"),
    (re.compile(r"\bwon['’]?t\b", re.I), "will not"),
    (re.compile(r"n['’]t\b", re.I), " not"),
    (
        re.compile(
            r"\b(didnt|doesnt|dont|hasnt|havent|wasnt|isnt|"
            r"werent|arent|wont|cant|couldnt|shouldnt)\b",
            re.I,
        ),
        lambda m: m.group(1)[:-2] + " not",
    ),
    (re.compile(r"['’](ve|ll|d|re|m|s)\b", re.I), r" \1"),
]
_FOLD = str.maketrans("ąćęłńóśźżё", "acelnoszz\u0435")
_ACCENTS = {"a": "aą", "c": "cć", "e": "eę", "l": "lł", "n": "nń", "o": "oó", "s": "sś", "z": "zżź"}


def fold(s: str) -> str:
    """Lower case, Polish/Russian diacritics folded (what customers type without them)."""
    return s.lower().translate(_FOLD)


@cache
def _morph():
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=200_000)
def _lemma(word: str, lang: str) -> str:
    if word.isdigit():
        if len(word) == 4 and word[:2] in ("19", "20"):
            return "yyyy"
        return "0" if len(word) < 4 else "#"
    fixed = _OVERRIDES.get(lang, {}).get(word)
    if fixed:
        return fixed
    if lang == "ru":
        if not re.search("[а-яё]", word):
            return word
        return _morph().parse(word)[0].normal_form
    import simplemma

    if lang == "pl" and word.isascii():
        word = _restore_polish(word)
    lemma = simplemma.lemmatize(word, lang=lang if lang in ("en", "pl") else "en")
    return lemma.lower() if lemma else word


@cache
def _polish_forms():
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    return DefaultDictionaryFactory().get_dictionary("pl")


def _restore_polish(word: str) -> str:
    """'dotarla' -> 'dotarła': the first spelling with diacritics the Polish dictionary knows."""
    forms = _polish_forms()
    if word in forms:
        return word
    slots = [i for i, ch in enumerate(word) if ch in _ACCENTS]
    if not slots or len(slots) > 7:
        return word
    import itertools

    for combo in itertools.product(*(_ACCENTS[word[i]] for i in slots)):
        cand = list(word)
        for i, ch in zip(slots, combo):
            cand[i] = ch
        cand = "".join(cand)
        if cand != word and cand in forms:
            return cand
    return word


def normalise(text: str, lang: str) -> str:
    """' lemma lemma not_lemma ... ' for one text (empty string for no text)."""
    if not isinstance(text, str) or not text.strip():
        return ""
    if lang == "en":
        for rx, repl in _CONTRACTIONS:
            text = rx.sub(repl, text)
    words = [w.lower() for w in _TOKEN.findall(text)]
    neg, skip = _NEGATORS.get(lang, _NEGATORS["en"]), _SKIP.get(lang, _SKIP["en"])
    out: list[str] = []
    pending = None
    for w in words:
        lem = _lemma(w, lang)
        if lem in neg or w in neg:
            if pending:
                out.append(pending)
            pending = ("not" if w in ("not", "no", "never") else w) if lang == "en" else fold(w if w in neg else lem)
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
    """``normalise`` for a whole column, each distinct (text, language) pair done once."""
    key = pd.DataFrame({"t": text.astype(object), "l": language.astype(object)})
    distinct = key.drop_duplicates()
    done = {(t, lg): normalise(t, lg) for t, lg in zip(distinct["t"], distinct["l"])}
    return pd.Series([done[(t, lg)] for t, lg in zip(key["t"], key["l"])], index=text.index, dtype=object)


def strip_accents(s: str) -> str:  # pragma: no cover - kept for rule authors
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")
