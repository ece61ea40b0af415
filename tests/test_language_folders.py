"""A language is one folder: a new folder is picked up by detection, rules, cues, lemmas and flow.

The proof is a minimal German folder written to a temporary directory (named in
``$FLOWKIT_LANGUAGES``, no file of the package touched): German text is detected as German,
its rule pack and cue families fire, its negation is glued, its flow phrases mark reopened
tickets and cancellations, and the built-in languages keep their verdicts.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from flowkit.classify import classify, detect_language, languages
from flowkit.classify.cues import cue_features
from flowkit.classify.flow import reopened
from flowkit.classify.lemmas import normalise
from flowkit.classify.rules import apply_rules, builtin_rules

GERMAN = {
    "language.yaml": """
name: Deutsch
detect:
  priority: 1
  letters: "[äöüßÄÖÜ]"
  words: [ich, nicht, und, der, die, das, ist, mein, meine, wieder, schon, bitte]
lemmatiser: none
negators: [nicht, kein, keine, nie]
skip: [noch, immer, mir, ist, sind]
fold: {ä: a, ö: o, ü: u, ß: ss}
""",
    "rules.yaml": """
rules:
  - id: de.complaint
    demand: failure
    failure_type: complaint
    demand_type: Beschwerde
    confidence: 0.9
    patterns: ["beschwer", "unverschämt"]
  - id: de.value.order
    demand: value
    demand_type: Bestellung
    patterns: ["bestellen", "neuen vertrag"]
""",
    "cues.yaml": """
families:
  repetition: [" wieder ", " schon (zum )?(zweiten|dritten) mal"]
  complaint: [" beschwer"]
  not_arrived: [" nicht_angekommen", " kein_paket"]
""",
    "flow.yaml": """
reopened: ["wieder ?er[oö]ffnet"]
cancellation: ["kündig", "storn"]
""",
}


@pytest.fixture
def german(tmp_path, monkeypatch):
    """A ``de`` folder beside the built-in ones, as a consultant would add it."""
    folder = tmp_path / "de"
    shutil.copytree(Path(languages.__file__).parent / "en", folder)  # start from a copy, as a README says
    for name in ("examples.yaml", "README.md"):
        (folder / name).unlink(missing_ok=True)
    for name, text in GERMAN.items():
        (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.setenv(languages.ENV, str(tmp_path))
    languages.reload()
    yield folder
    monkeypatch.delenv(languages.ENV)
    languages.reload()


TEXTS = pd.Series(
    [
        "Ich möchte mich über den Service beschweren",
        "Ich rufe schon wieder an, das Paket ist nicht angekommen",
        "Ich möchte einen neuen Vertrag bestellen",
        "I want to make a formal complaint",
        "Dzwonię już trzeci raz w sprawie zwrotu",
        "Хочу подать жалобу",
    ],
    dtype="string[pyarrow]",
)


def test_a_new_folder_is_a_new_language(german):
    assert "de" in languages.codes()
    assert detect_language(TEXTS).tolist() == ["de", "de", "de", "en", "pl", "ru"]


def test_its_rules_and_cues_fire_and_the_others_keep_theirs(german):
    lang = detect_language(TEXTS)
    ruled = apply_rules(TEXTS, lang, builtin_rules())
    assert ruled["rule"].tolist()[0] == "de.complaint"
    assert ruled["rule"].tolist()[2] == "de.value.order"
    assert ruled["rule"].tolist()[3] == "en.complaint"
    assert ruled["rule"].tolist()[5].startswith("ru.")
    assert " nicht_angekommen " in normalise(TEXTS[1], "de")
    cues = cue_features(TEXTS, lang)
    assert cues.loc[1, "repetition"] == 1 and cues.loc[1, "not_arrived"] == 1
    assert cues.loc[0, "complaint"] == 1


def test_classify_reads_german_as_failure_or_value(german):
    contacts = pd.DataFrame({"text": TEXTS, "received_at": pd.Timestamp("2026-01-05")})
    out = classify(contacts, use_flow=False).contacts
    assert out["language"].tolist()[:3] == ["de", "de", "de"]
    assert out["demand"].tolist()[:3] == ["failure", "failure", "value"]


def test_its_flow_phrases_mark_reopened_tickets_and_cancellations(german):
    from flowkit.analyse.flow import _is_outcome

    contacts = pd.DataFrame({"status": ["wieder eröffnet", "offen"], "text": ["", ""]})
    assert reopened(contacts).tolist() == [True, False]
    df = pd.DataFrame(
        {
            "demand_type": ["Kündigung des Vertrags", "Bestellung"],
            "failure_type": [None, None],
            "abandoned": [False, False],
        }
    )
    assert _is_outcome(df).tolist() == [True, False]


def test_without_the_folder_german_is_not_known():
    assert "de" not in languages.codes()
    assert detect_language(TEXTS[:1]).tolist() == ["en"]


@pytest.mark.parametrize(
    "text,needle",
    [
        ("negators: [nicht, no]\n", "put it in quotes"),
        ("lemmatiser: snowball\n", "lemmatiser 'snowball'"),
        ("colour: red\n", "colour: unknown key"),
        ("detect: {letters: '[unclosed'}\n", "not valid in RE2"),
    ],
)
def test_a_wrong_language_file_names_the_problem(tmp_path, monkeypatch, text, needle):
    (tmp_path / "xx").mkdir()
    (tmp_path / "xx" / "language.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv(languages.ENV, str(tmp_path))
    languages.reload()
    try:
        with pytest.raises(languages.LanguageError, match=needle):
            languages.languages()
    finally:
        monkeypatch.delenv(languages.ENV)
        languages.reload()
