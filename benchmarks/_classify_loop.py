"""The reference for bench_classify: classification done row by row with Python's ``re``.

What a straightforward implementation does with the same language folders: for each row,
find its language, try its rules in order, normalise its text (the same ``normalise``, with
the same word-level lemma cache), test each cue family's pattern, weigh the features with
the same combiner and say value, failure or unknown. Same patterns, same answers; only the
execution differs (one row at a time).
"""

from __future__ import annotations

import re

import numpy as np

from flowkit.classify import languages
from flowkit.classify.combine import _SERVICE_SIGNS, RULE_FEATURES, WEAK, load_combiner
from flowkit.classify.cues import FAMILIES, cue_patterns
from flowkit.classify.lemmas import normalise
from flowkit.classify.rules import FALLBACK_RULE, NO_TEXT_RULE

_EDGE = (r"(^|[\s,.;:!?(])", r"([\s,.;:!?)]|$)")


class RowByRow:
    def __init__(self, rules):
        self.langs = list(languages.languages().values())
        self.fallback = next(lg.code for lg in self.langs if lg.fallback)
        self.detect = []
        for lg in sorted((x for x in self.langs if not x.fallback), key=lambda x: (x.priority, x.code), reverse=True):
            tests = []
            if lg.letters:
                tests.append((re.compile(lg.letters), 1))
            if lg.words:
                tests.append((re.compile(_EDGE[0] + "(" + "|".join(lg.words) + ")" + _EDGE[1], re.I), 1))
            if lg.shapes:
                tests.append((re.compile(lg.shapes, re.I), lg.shapes_at_least))
            self.detect.append((lg.code, tests))

        def compiled(rs):
            return [(r, re.compile(r.regex, re.I), re.compile(r.veto, re.I) if r.veto else None) for r in rs]

        self.own = {lg.code: compiled(rules.for_language(lg.code)) for lg in self.langs}
        self.others = {
            lg.code: compiled([r for r in rules.rules if r.demand == "failure" and r.language not in (lg.code, "any")])
            for lg in self.langs
        }
        self.cues = {
            lg.code: [(f, re.compile(rx)) for f, rx in cue_patterns(lg.code).items() if rx] for lg in self.langs
        }
        self.second = {lg.code: lg.second_reading for lg in self.langs}
        self.reopened = re.compile(languages.flow_pattern("reopened") or "(?!)", re.I)
        self.comb = load_combiner()
        self.col = {f: i for i, f in enumerate(self.comb.features)}

    def language(self, text: str) -> str:
        for code, tests in self.detect:
            if any(len(rx.findall(text)) >= k if k > 1 else rx.search(text) for rx, k in tests):
                return code
        return self.fallback

    def rule(self, text: str, lang: str):
        for table, shift in ((self.own[lang], 0.0), (self.others[lang], -0.1)):
            for r, rx, veto in table:
                if rx.search(text) and not (veto and veto.search(text)):
                    return r, r.confidence + shift
        return None, 0.6

    def classify(self, text) -> tuple[str, str, str | None]:
        """(language, demand, failure type) for one row."""
        if not isinstance(text, str) or not text.strip():
            return self.fallback, "unknown", None
        lang = self.language(text)
        rule, _ = self.rule(text, lang)
        x = np.zeros(len(self.comb.features))
        fired = self._cues(normalise(text, lang), lang, x)
        if not fired and self.second[lang]:
            self._cues(normalise(text, self.second[lang]), self.second[lang], x)
        x[self.col["question"]] = "?" in text
        x[self.col["reopened"]] = bool(self.reopened.search(text))
        x[self.col["short"]] = len(text.split()) <= 4
        if rule is not None:
            kind = "value" if rule.demand == "value" else rule.failure_type
            x[self.col[f"rule:{kind}"]] = 1.0
        x[self.col["report_again"]] = x[self.col["world_report"]] * max(x[self.col[f]] for f in _SERVICE_SIGNS)
        evidence = any(x[self.col[f]] for f in (*FAMILIES, *RULE_FEATURES, "report_again"))
        p = 1 / (1 + np.exp(-(x @ self.comb.coef + self.comb.intercept)))
        fail = p >= 0.5
        if not evidence or max(p, 1 - p) < WEAK:
            return lang, "unknown", None
        if not fail:
            return lang, "value", None
        return (
            lang,
            "failure",
            self.comb.type_classes[int(np.argmax(self.comb.type_coef @ x + self.comb.type_intercept))],
        )

    def _cues(self, norm: str, lang: str, x: np.ndarray) -> bool:
        hit = False
        for fam, rx in self.cues[lang]:
            if rx.search(norm):
                x[self.col[fam]] = 1.0
                hit = True
        return hit

    def rules_only(self, text) -> str:
        """The rule id for one row (the rules-stage reference)."""
        if not isinstance(text, str) or not text.strip():
            return NO_TEXT_RULE
        rule, _ = self.rule(text, self.language(text))
        return rule.id if rule else FALLBACK_RULE
