"""Transparent rules: editable YAML patterns that say value or failure, of what type, and why.

A consultant must be able to read why a contact was called failure demand and argue with
it, so every rule has an id that is written into the ``rule`` column. Rules are applied a
whole column at a time with pyarrow's RE2 kernels (one pass per rule over the texts of its
language), which is what makes millions of contacts cheap; the same patterns also compile
in Python's ``re`` (the benchmark's row-by-row reference).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowkit.classify import languages
from flowkit.classify.language import arrow_text, by_language, has_text
from flowkit.errors import FlowkitError
from flowkit.schema import FAILURE_TYPES, STRING
from flowkit.yamlfile import load_yaml

__all__ = [
    "FALLBACK_CONFIDENCE",
    "FALLBACK_RULE",
    "NO_TEXT_RULE",
    "RESULT_COLUMNS",
    "Rule",
    "RuleError",
    "RuleSet",
    "apply_rules",
    "builtin_rules",
    "load_rules",
]

RESULT_COLUMNS = ["demand", "demand_type", "failure_type", "rule", "confidence"]
FALLBACK_RULE = "default:no-failure-signal"
NO_TEXT_RULE = "no-text"
FALLBACK_CONFIDENCE = 0.6


class RuleError(FlowkitError):
    """A rule file is wrong (unknown key, bad pattern, unknown failure type)."""


@dataclass(frozen=True)
class Rule:
    id: str
    language: str  # en | pl | ru | any
    demand: str  # value | failure
    demand_type: str
    failure_type: str | None
    confidence: float
    patterns: tuple[str, ...]
    unless: tuple[str, ...] = ()

    @property
    def regex(self) -> str:
        return "(?:" + "|".join(self.patterns) + ")"

    @property
    def veto(self) -> str | None:
        return "(?:" + "|".join(self.unless) + ")" if self.unless else None


#: what a rule match does: ``decide(positions, rule, confidence)``
Decide = Callable[[np.ndarray, Rule, float], None]


@dataclass(frozen=True)
class RuleSet:
    """Rules in the order they are tried, per language (``any`` rules are tried in every language)."""

    rules: tuple[Rule, ...]

    def for_language(self, lang: str) -> list[Rule]:
        return [r for r in self.rules if r.language in (lang, "any")]

    def combined(self, user: RuleSet | None = None, disabled: frozenset[str] = frozenset()) -> RuleSet:
        first = user.rules if user else ()
        return RuleSet(tuple(r for r in (*first, *self.rules) if r.id not in disabled))


_RULE_KEYS = {"id", "demand", "demand_type", "failure_type", "confidence", "patterns", "unless", "language"}


def _check_pattern(origin: str, rule_id: str, pattern: str) -> None:
    try:
        re.compile(pattern, re.IGNORECASE)
        pc.match_substring_regex(pa.array(["probe"]), pattern, ignore_case=True)
    except (re.error, pa.ArrowInvalid) as exc:
        raise RuleError(
            f"{origin}: rule {rule_id}: pattern {pattern!r} is not a valid regular expression "
            f"(RE2 and Python re must both accept it): {exc}"
        ) from exc


def _parse(doc: object, origin: str, folder_code: str | None = None) -> tuple[list[Rule], frozenset[str]]:
    if not isinstance(doc, dict):
        raise RuleError(f"{origin}: a rule file is a mapping with 'rules:' (and optionally 'language:', 'disable:')")
    unknown = set(doc) - {"language", "rules", "disable", "description"}
    if unknown:
        raise RuleError(f"{origin}: {sorted(unknown)[0]}: unknown key; use language, rules, disable")
    default_lang = doc.get("language", folder_code or "any")
    if folder_code and default_lang != folder_code:
        raise RuleError(f"{origin}: language: {default_lang!r}; a pack in folder {folder_code} is {folder_code}")
    codes = languages.codes()
    if default_lang not in (*codes, "any"):
        raise RuleError(f"{origin}: language: {default_lang!r}; use {', '.join(codes)} or any")
    rules = []
    for i, r in enumerate(doc.get("rules") or []):
        where = f"rules[{i}]"
        if not isinstance(r, dict):
            raise RuleError(f"{origin}: {where}: each rule is a mapping")
        bad = set(r) - _RULE_KEYS
        if bad:
            raise RuleError(f"{origin}: {where}.{sorted(bad)[0]}: unknown key; use {', '.join(sorted(_RULE_KEYS))}")
        rid = r.get("id") or f"{origin}#{i}"
        demand = r.get("demand")
        if demand not in ("value", "failure"):
            raise RuleError(f"{origin}: rule {rid}: demand must be value or failure, got {demand!r}")
        ft = r.get("failure_type")
        if demand == "failure" and ft not in FAILURE_TYPES:
            raise RuleError(f"{origin}: rule {rid}: failure_type must be one of {', '.join(FAILURE_TYPES)}, got {ft!r}")
        if demand == "value" and ft:
            raise RuleError(f"{origin}: rule {rid}: value demand has no failure_type")
        conf = r.get("confidence", 0.8)
        if isinstance(conf, bool) or not isinstance(conf, (int, float)) or not 0 <= conf <= 1:
            raise RuleError(f"{origin}: rule {rid}: confidence must be between 0 and 1, got {conf!r}")
        patterns = r.get("patterns")
        if not isinstance(patterns, list) or not patterns:
            raise RuleError(f"{origin}: rule {rid}: patterns must be a non-empty list")
        unless = r.get("unless") or []
        for p in [*patterns, *unless]:
            _check_pattern(origin, rid, str(p))
        lang = r.get("language", default_lang)
        if lang not in (*codes, "any"):
            raise RuleError(f"{origin}: rule {rid}: language {lang!r}; use {', '.join(codes)} or any")
        rules.append(
            Rule(
                rid,
                lang,
                demand,
                str(r.get("demand_type") or (ft or "value")),
                ft,
                float(conf),
                tuple(str(p) for p in patterns),
                tuple(str(p) for p in unless),
            )
        )
    return rules, frozenset(str(x) for x in doc.get("disable") or [])


def load_rules(path: str | Path) -> tuple[RuleSet, frozenset[str]]:
    """A user's own rules (tried before the built-in ones) and the built-in rule ids they disable."""
    doc = load_yaml(path, RuleError, "rule file")
    rules, disabled = _parse(doc, str(path))
    return RuleSet(tuple(rules)), disabled


@languages.language_cache
def builtin_rules() -> RuleSet:
    """Every language folder's rule pack (``languages/<code>/rules.yaml``), in code order."""
    rules = []
    for lg in languages.languages().values():
        doc = lg.read("rules.yaml", required=False)
        if doc is not None:
            rules.extend(_parse(doc, f"languages/{lg.code}/rules.yaml", lg.code)[0])
    return RuleSet(tuple(rules))


def _match(arr: pa.LargeStringArray, regex: str) -> np.ndarray:
    return pc.fill_null(pc.match_substring_regex(arr, regex, ignore_case=True), False).to_numpy(zero_copy_only=False)


def _blocks(rules: list[Rule]) -> list[list[Rule]]:
    """Consecutive rules of the same demand and language: one combined pass finds every row the
    block could take. Mixing languages in one alternation (the other languages' failure rules)
    overflows RE2's DFA and costs ~100x per row, so a block never spans two languages."""
    blocks: list[list[Rule]] = []
    for r in rules:
        if blocks and (blocks[-1][0].demand, blocks[-1][0].language) == (r.demand, r.language):
            blocks[-1].append(r)
        else:
            blocks.append([r])
    return blocks


def _first_match(arr: pa.LargeStringArray, rules: list[Rule], decide: Decide, conf_shift: float = 0.0) -> np.ndarray:
    """Try ``rules`` in order on ``arr``; ``decide(positions, rule, confidence)`` for each hit.

    Returns the positions no rule took. Each block of same-demand rules is pre-screened with
    one alternation of all its patterns (RE2 runs it as one automaton); its rules then run
    only on the rows the block could take, and the first rule in order wins.
    """
    open_pos = np.arange(len(arr))
    for block in _blocks(rules):
        if not open_pos.size:
            break
        cur = arr if open_pos.size == len(arr) else arr.take(pa.array(open_pos))
        if len(block) > 1:
            maybe = _match(cur, "|".join(r.regex for r in block))
            pos, cur = open_pos[maybe], cur.filter(pa.array(maybe))
        else:
            pos = open_pos
        free = np.ones(pos.size, dtype=bool)
        for r in block:
            at = np.flatnonzero(free)  # a rule reads only the rows no earlier rule took
            if not at.size:
                break
            mine = cur if at.size == free.size else cur.take(pa.array(at))
            hit = _match(mine, r.regex)
            if r.veto and hit.any():
                hit[hit] = ~_match(mine.filter(pa.array(hit)), r.veto)
            if hit.any():
                decide(pos[at[hit]], r, r.confidence + conf_shift)
                free[at[hit]] = False
        taken = np.zeros(len(arr), dtype=bool)
        taken[pos[~free]] = True
        open_pos = open_pos[~taken[open_pos]]
    return open_pos


def apply_rules(text: pd.Series, language: pd.Series, rules: RuleSet) -> pd.DataFrame:
    """Classify texts: for each language, try its rules in order; the first that fires decides.

    Each distinct (text, language) pair is classified once and the answer spread back:
    contact logs repeat themselves (agent notes, IVR descriptors, web-form topics).
    """
    return _apply_factorized(text, language, rules, *pd.factorize(text.astype(STRING), use_na_sentinel=False))


def _apply_factorized(
    text: pd.Series,
    language: pd.Series,
    rules: RuleSet,
    codes: np.ndarray,
    uniques: pd.Index | pd.api.extensions.ExtensionArray,
) -> pd.DataFrame:
    """:func:`apply_rules` given the text's ``pd.factorize`` (``use_na_sentinel=False``), shared with the caller."""
    if len(uniques) < 0.8 * len(text):
        # language is a function of the text, so the first row of each text speaks for all
        first = pd.Series(np.arange(len(codes))).groupby(codes).first().to_numpy()
        distinct = _apply_distinct(pd.Series(uniques, dtype=STRING), language.iloc[first].reset_index(drop=True), rules)
        out = distinct.iloc[codes].reset_index(drop=True)
        out.index = text.index
        return out
    return _apply_distinct(text, language, rules)


def _apply_distinct(text: pd.Series, language: pd.Series, rules: RuleSet) -> pd.DataFrame:
    """:func:`apply_rules` on texts taken as they come (no de-duplication).

    Text no rule of its language recognises gets a second chance with the other languages'
    failure rules (notes in a language other than detected), trusted 0.1 less. Text that
    still matches nothing is value demand with low confidence (most demand is what the
    service is for); empty text is ``unknown``.
    """
    n = len(text)
    # which outcome each row has, as an index into ``outcomes``: the columns are written once at
    # the end, not five object arrays per rule
    outcomes: dict[tuple[str, str | None, str | None, str], int] = {
        ("unknown", None, None, NO_TEXT_RULE): 0,
        ("value", "other value demand", None, FALLBACK_RULE): 1,
    }
    which = np.zeros(n, dtype=np.int64)
    conf = np.zeros(n)
    arr = arrow_text(text)
    for lg, rows in by_language(language, has_text(arr)):

        def decide(pos: np.ndarray, r: Rule, c: float, rows: np.ndarray = rows) -> None:
            idx = rows[pos]
            which[idx] = outcomes.setdefault((r.demand, r.demand_type, r.failure_type, r.id), len(outcomes))
            conf[idx] = c

        sub = arr.take(pa.array(rows))
        left = _first_match(sub, rules.for_language(str(lg)), decide)
        others = [r for r in rules.rules if r.demand == "failure" and r.language not in (str(lg), "any")]
        if left.size and others:

            def decide_left(pos: np.ndarray, r: Rule, c: float, left: np.ndarray = left) -> None:
                decide(left[pos], r, c)

            still = _first_match(sub.take(pa.array(left)), others, decide_left, conf_shift=-0.1)
            left = left[still]
        idx = rows[left]
        which[idx], conf[idx] = 1, FALLBACK_CONFIDENCE
    table = np.empty((len(outcomes), 4), dtype=object)
    for outcome, k in outcomes.items():
        table[k] = outcome
    cols = {name: table[which, j] for j, name in enumerate(("demand", "demand_type", "failure_type", "rule"))}
    return pd.DataFrame(
        {
            "demand": cols["demand"],
            "demand_type": cols["demand_type"],
            "failure_type": cols["failure_type"],
            "rule": cols["rule"],
            "confidence": conf,
        },
        index=text.index,
    )
