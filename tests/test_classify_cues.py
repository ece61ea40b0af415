"""Cue families per language: each fires on its positives and stays quiet on near-misses.

The sentences live in each language folder's ``examples.yaml``: development examples
written for these tests, not the held-out set in tests/data (which no rule or cue was
written against). Near-misses are the traps a
keyword list falls into: "again" in a renewal, "paid" with no problem, "transfer" of money.
"""

import pandas as pd
import pytest

from flowkit.classify import languages
from flowkit.classify.cues import FAMILIES, cue_features
from flowkit.classify.lemmas import normalise


def _examples() -> dict[str, dict]:
    """Each language folder's examples.yaml (a new language brings its own)."""
    return {lg.code: lg.read("examples.yaml", required=False) or {} for lg in languages.languages().values()}


EXAMPLES = _examples()
CUE_CASES = [
    (fam, lg, text, expected)
    for lg, doc in EXAMPLES.items()
    for fam, ex in (doc.get("cues") or {}).items()
    for expected, key in ((True, "positive"), (False, "near_miss"))
    for text in ex.get(key) or []
]


def test_every_language_has_cue_examples_for_most_families():
    for lg, doc in EXAMPLES.items():
        fams = doc.get("cues") or {}
        assert set(fams) <= set(FAMILIES), (lg, set(fams) - set(FAMILIES))
        assert len(fams) >= 5, f"languages/{lg}/examples.yaml: cue examples for only {len(fams)} families"


def fired(text: str, lang: str) -> set[str]:
    f = cue_features(pd.Series([text]), pd.Series([lang]))
    return {c for c in FAMILIES if f.iloc[0][c] > 0}


@pytest.mark.parametrize("family,lang,text,expected", CUE_CASES)
def test_cue_family_positives_and_near_misses(family, lang, text, expected):
    assert (family in fired(text, lang)) is expected, (family, lang, text, normalise(text, lang))


@pytest.mark.parametrize(
    "text,lang,token", [(t, lg, tok) for lg, doc in EXAMPLES.items() for t, tok in doc.get("negation") or []]
)
def test_negation_is_glued_to_the_lemma_it_negates(text, lang, token):
    assert f" {token} " in normalise(text, lang)


def test_inflected_forms_share_a_lemma():
    forms = ["Kurier nie przyjechał", "Kurierka nie przyjechała", "Kurierzy nie przyjechali"]
    assert len({normalise(t, "pl").split()[-1] for t in forms}) == 1
    ru = ["Мастер не пришёл", "Мастер не пришел", "Мастерица не пришла"]  # "пришли" is also "send!": ambiguous
    assert len({normalise(t, "ru").split()[-1] for t in ru}) == 1


def test_short_counts_words_as_str_split_does_with_every_kind_of_white_space():
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    texts = ["", " ", "one", "a b c d", "a b c d e", "a\u00a0b\u3000c d e", "  a  b\tc\nd  ", "x\x1cy\x1dz\x1ew\x1fv"]
    texts += [sp.join(["w"] * k) + sp for sp in spaces for k in (4, 5)]
    texts += ["\u200bzero\u200bwidth\u200bis\u200bnot\u200bspace", "é ü ł ё 漢"]
    got = cue_features(pd.Series(texts), pd.Series(["en"] * len(texts)))["short"].astype(bool).tolist()
    assert got == [len(t.split()) <= 4 for t in texts]
