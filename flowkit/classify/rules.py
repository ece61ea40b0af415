"""Transparent rules: editable YAML patterns that say value or failure, of what type, and why.

A consultant must be able to read why a contact was called failure demand and argue with
it, so every rule has an id that is written into the ``rule`` column. Rules are applied a
whole column at a time with pyarrow's RE2 kernels (one pass per rule over the texts of its
language), which is what makes millions of contacts cheap; the same patterns also compile
in Python's ``re`` (the benchmark's row-by-row reference).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from flowkit.classify.language import LANGUAGES, arrow_text
from flowkit.errors import FlowkitError
from flowkit.schema import FAILURE_TYPES

__all__ = ["Rule", "RuleSet", "RuleError", "load_rules", "builtin_rules", "apply_rules", "RESULT_COLUMNS",
           "FALLBACK_RULE", "NO_TEXT_RULE", "FALLBACK_CONFIDENCE"]

RESULT_COLUMNS = ["demand", "demand_type", "failure_type", "rule", "confidence"]
FALLBACK_RULE = "default:no-failure-signal"
NO_TEXT_RULE = "no-text"
FALLBACK_CONFIDENCE = 0.6


class RuleError(FlowkitError):
    """A rule file is wrong (unknown key, bad pattern, unknown failure type)."""


@dataclass(frozen=True)
class Rule:
    id: str
    language: str                      # en | pl | ru | any
    demand: str                        # value | failure
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


@dataclass(frozen=True)
class RuleSet:
    """Rules in the order they are tried, per language (``any`` rules are tried in every language)."""

    rules: tuple[Rule, ...]

    def for_language(self, lang: str) -> list[Rule]:
        return [r for r in self.rules if r.language in (lang, "any")]

    def combined(self, user: "RuleSet | None" = None, disabled: frozenset[str] = frozenset()) -> "RuleSet":
        first = user.rules if user else ()
        return RuleSet(tuple(r for r in (*first, *self.rules) if r.id not in disabled))


_RULE_KEYS = {"id", "demand", "demand_type", "failure_type", "confidence", "patterns", "unless", "language"}


def _check_pattern(origin: str, rule_id: str, pattern: str) -> None:
    try:
        re.compile(pattern, re.IGNORECASE)
        pc.match_substring_regex(pa.array(["probe"]), pattern, ignore_case=True)
    except (re.error, pa.ArrowInvalid) as exc:
        raise RuleError(f"{origin}: rule {rule_id}: pattern {pattern!r} is not a valid regular expression "
                        f"(RE2 and Python re must both accept it): {exc}") from exc


def _parse(doc, origin: str) -> tuple[list[Rule], frozenset[str]]:
    if not isinstance(doc, dict):
        raise RuleError(f"{origin}: a rule file is a mapping with 'rules:' (and optionally 'language:', 'disable:')")
    unknown = set(doc) - {"language", "rules", "disable", "description"}
    if unknown:
        raise RuleError(f"{origin}: {sorted(unknown)[0]}: unknown key; use language, rules, disable")
    default_lang = doc.get("language", "any")
    if default_lang not in (*LANGUAGES, "any"):
        raise RuleError(f"{origin}: language: {default_lang!r}; use {', '.join(LANGUAGES)} or any")
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
        if lang not in (*LANGUAGES, "any"):
            raise RuleError(f"{origin}: rule {rid}: language {lang!r}; use {', '.join(LANGUAGES)} or any")
        rules.append(Rule(rid, lang, demand, str(r.get("demand_type") or (ft or "value")), ft, float(conf),
                          tuple(str(p) for p in patterns), tuple(str(p) for p in unless)))
    return rules, frozenset(str(x) for x in doc.get("disable") or [])


def load_rules(path: str | Path) -> tuple[RuleSet, frozenset[str]]:
    """A user's own rules (tried before the built-in ones) and the built-in rule ids they disable."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RuleError(f"{path}: no such rule file") from None
    except yaml.YAMLError as exc:
        raise RuleError(f"{path}: not valid YAML: {exc}") from exc
    rules, disabled = _parse(doc, str(path))
    return RuleSet(tuple(rules)), disabled


def builtin_rules() -> RuleSet:
    """The English, Polish and Russian packs shipped in ``flowkit/classify/rulepacks``."""
    rules = []
    for lang in LANGUAGES:
        text = resources.files("flowkit.classify").joinpath(f"rulepacks/{lang}.yaml").read_text(encoding="utf-8")
        rules.extend(_parse(yaml.safe_load(text), f"rulepacks/{lang}.yaml")[0])
    return RuleSet(tuple(rules))


def apply_rules(text: pd.Series, language: pd.Series, rules: RuleSet) -> pd.DataFrame:
    """Classify texts: for each language, try its rules in order; the first that fires decides.

    Text that no rule recognises is value demand with low confidence (most demand is what
    the service is for); empty text is ``unknown``.
    """
    n = len(text)
    demand = np.full(n, "unknown", dtype=object)
    dtype_ = np.full(n, None, dtype=object)
    ftype = np.full(n, None, dtype=object)
    rule = np.full(n, NO_TEXT_RULE, dtype=object)
    conf = np.zeros(n)
    arr = arrow_text(text)
    has_text = pc.fill_null(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(arr)), 0), False).to_numpy(zero_copy_only=False)
    lang = language.to_numpy(dtype=object)
    for lg in np.unique(lang[has_text]) if has_text.any() else []:
        rows = np.flatnonzero(has_text & (lang == lg))
        sub = arr.take(pa.array(rows))
        open_ = np.ones(rows.size, dtype=bool)
        for r in rules.for_language(str(lg)):
            if not open_.any():
                break
            hit = pc.fill_null(pc.match_substring_regex(sub, r.regex, ignore_case=True), False).to_numpy(zero_copy_only=False)
            hit &= open_
            if r.veto and hit.any():
                vetoed = pc.fill_null(pc.match_substring_regex(sub, r.veto, ignore_case=True), False).to_numpy(zero_copy_only=False)
                hit &= ~vetoed
            if hit.any():
                idx = rows[hit]
                demand[idx], dtype_[idx], ftype[idx], rule[idx], conf[idx] = r.demand, r.demand_type, r.failure_type, r.id, r.confidence
                open_ &= ~hit
        # second chance for notes in another language than detected (mixed or misdetected
        # text): the other languages' failure rules, trusted a little less
        for r in rules.rules:
            if not open_.any():
                break
            if r.language in (str(lg), "any") or r.demand != "failure":
                continue
            hit = pc.fill_null(pc.match_substring_regex(sub, r.regex, ignore_case=True), False).to_numpy(zero_copy_only=False)
            hit &= open_
            if r.veto and hit.any():
                hit &= ~pc.fill_null(pc.match_substring_regex(sub, r.veto, ignore_case=True), False).to_numpy(zero_copy_only=False)
            if hit.any():
                idx = rows[hit]
                demand[idx], dtype_[idx], ftype[idx], rule[idx], conf[idx] = r.demand, r.demand_type, r.failure_type, r.id, r.confidence - 0.1
                open_ &= ~hit
        idx = rows[open_]
        demand[idx], dtype_[idx], rule[idx], conf[idx] = "value", "other value demand", FALLBACK_RULE, FALLBACK_CONFIDENCE
    return pd.DataFrame({"demand": demand, "demand_type": dtype_, "failure_type": ftype, "rule": rule,
                         "confidence": conf}, index=text.index)
