"""Rule packs on realistic verbatims and agent notes from several industries, per language.

The sentences live in each language folder's ``examples.yaml``; none appears in the sample generator: they test that the rules
generalise (inflection, missing diacritics, typos, terse notes), not that they memorised.
"""

import pandas as pd
import pytest

from flowkit.classify import builtin_rules, detect_language, languages
from flowkit.classify.rules import apply_rules

RULES = builtin_rules()

EXAMPLES = {
    lg.code: [tuple(r) for r in (lg.read("examples.yaml", required=False) or {}).get("rules") or []]
    for lg in languages.languages().values()
}
ENGLISH = EXAMPLES["en"]
WITH_EXAMPLES = [lg for lg, cases in EXAMPLES.items() if cases]


def test_every_language_brings_rule_examples():
    for lg, cases in EXAMPLES.items():
        kinds = {c[1] for c in cases}
        assert kinds == {"value", "failure"}, f"languages/{lg}/examples.yaml: rules need value and failure examples"


def _run(cases):
    text = pd.Series([c[0] for c in cases], dtype="string[pyarrow]")
    return apply_rules(text, detect_language(text), RULES)


@pytest.mark.parametrize("lang", WITH_EXAMPLES)
def test_language_detection(lang):
    cases = EXAMPLES[lang]
    text = pd.Series([c[0] for c in cases], dtype="string[pyarrow]")
    detected = detect_language(text)
    assert (detected == lang).mean() >= 0.9, list(zip(text, detected, strict=True))


@pytest.mark.parametrize("lang", WITH_EXAMPLES)
def test_value_or_failure_on_unseen_verbatims(lang):
    cases = EXAMPLES[lang]
    got = _run(cases)
    wrong = [(c[0], c[1], g) for c, g in zip(cases, got["demand"], strict=True) if c[1] != g]
    assert len(wrong) <= len(cases) * 0.1, wrong


@pytest.mark.parametrize("lang", WITH_EXAMPLES)
def test_failure_types_on_unseen_verbatims(lang):
    cases = EXAMPLES[lang]
    got = _run(cases)
    fails = [(c, g) for c, g in zip(cases, got["failure_type"], strict=True) if c[1] == "failure"]
    wrong = [(c[0], c[2], g) for c, g in fails if c[2] != g]
    assert len(wrong) <= len(fails) * 0.2, wrong


def test_every_row_says_which_rule_decided():
    got = _run([*ENGLISH, ("", "unknown", None), ("Hello", "value", None)])
    assert got["rule"].notna().all()
    assert got["rule"].iloc[-2] == "no-text" and got["demand"].iloc[-2] == "unknown"
    assert got["rule"].iloc[-1] == "default:no-failure-signal" and got["confidence"].iloc[-1] < 0.8


def test_negation_vetoes_a_rule():
    got = _run([("Thanks for calling me back so quickly, all sorted", "value", None)])
    assert got["demand"].iloc[0] == "value"


def test_user_rules_come_first_and_can_disable_builtin(tmp_path):
    from flowkit.classify.rules import load_rules

    (tmp_path / "mine.yaml").write_text(
        "language: en\ndisable: [en.complaint]\nrules:\n"
        "  - {id: mine.meter, demand: failure, failure_type: done_wrong, demand_type: estimated bill,"
        " patterns: ['estimated (bill|reading)']}\n"
    )
    user, disabled = load_rules(tmp_path / "mine.yaml")
    rules = RULES.combined(user, disabled)
    text = pd.Series(["Why did I get an estimated bill again?", "I want to complain"], dtype="string[pyarrow]")
    got = apply_rules(text, detect_language(text), rules)
    assert got["rule"].tolist()[0] == "mine.meter"
    assert got["rule"].tolist()[1] != "en.complaint"


@pytest.mark.parametrize(
    "doc,needle",
    [
        ("rules: [{id: x, demand: maybe, patterns: [a]}]", "demand must be value or failure"),
        ("rules: [{id: x, demand: failure, failure_type: grumpy, patterns: [a]}]", "failure_type must be one of"),
        ("rules: [{id: x, demand: value, patterns: ['(unclosed']}]", "not a valid regular expression"),
        ("rules: [{id: x, demand: value, patterns: [a], colour: red}]", "colour: unknown key"),
    ],
)
def test_bad_rule_files_name_the_problem(tmp_path, doc, needle):
    from flowkit.classify.rules import RuleError, load_rules

    (tmp_path / "r.yaml").write_text(doc)
    with pytest.raises(RuleError, match=needle):
        load_rules(tmp_path / "r.yaml")
