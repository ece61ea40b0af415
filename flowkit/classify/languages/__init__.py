"""A language is one folder: list the folders, and every part of classification knows it.

``languages/<code>/`` holds everything language-specific: how to recognise the language
(``language.yaml``: letters, function words), how to reduce its words to lemmas (lemmatiser,
negators, words a negation reaches over, fixes), its rule pack (``rules.yaml``), its cue
families (``cues.yaml``), its flow phrases (``flow.yaml``: reopened, cancellation) and the
examples its tests read (``examples.yaml``). Code never names a language: adding German is
adding ``languages/de/``. Folders in ``$FLOWKIT_LANGUAGES`` (a path list) are read after the
built-in ones, so a consultant can add or override a language without touching the package.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TypeVar

from flowkit.errors import FlowkitError
from flowkit.yamlfile import load_yaml

__all__ = [
    "ENV",
    "Language",
    "LanguageError",
    "codes",
    "flow_pattern",
    "forget_on_reload",
    "get",
    "language_cache",
    "languages",
    "read",
    "reload",
]

ENV = "FLOWKIT_LANGUAGES"
_LEMMATISERS = ("simplemma", "pymorphy3", "none")
_KEYS = {
    "name",
    "detect",
    "lemmatiser",
    "lemmatise_only",
    "negators",
    "negator_form",
    "negator_rename",
    "skip",
    "overrides",
    "contractions",
    "fold",
    "restore_diacritics",
    "second_reading",
    "stopwords",
}
_DETECT_KEYS = {"priority", "fallback", "letters", "words", "shapes"}
_F = TypeVar("_F", bound=Callable[..., Any])
_CACHED: list[Any] = []


class LanguageError(FlowkitError):
    """A language folder is wrong (missing file, unknown key, bad pattern)."""


@dataclass(frozen=True)
class Language:
    """What ``languages/<code>/language.yaml`` says, with the folder it came from."""

    code: str
    folder: Path
    name: str
    priority: int = 0  # when several languages claim a text, the highest wins
    fallback: bool = False  # the language of text nobody claims
    letters: str | None = None  # case-sensitive regex: any match claims the text
    words: tuple[str, ...] = ()  # whole words (any case): any one claims the text
    shapes: str | None = None  # case-insensitive regex ...
    shapes_at_least: int = 2  # ... claiming the text when it occurs this often
    lemmatiser: str = "none"
    lemmatise_only: str | None = None  # words not matching this regex are kept as typed
    negators: frozenset[str] = frozenset()
    negator_form: str = "listed"  # 'word': the word as typed; 'listed': the word if listed, else its lemma
    negator_rename: dict[str, str] = field(default_factory=dict)
    skip: frozenset[str] = frozenset()
    overrides: dict[str, str] = field(default_factory=dict)
    contractions: tuple[tuple[str, str], ...] = ()
    fold: dict[str, str] = field(default_factory=dict)
    restore_diacritics: dict[str, str] = field(default_factory=dict)
    second_reading: str | None = None  # where this language's cues find nothing, read the text as this one
    stopwords: frozenset[str] = frozenset()

    def file(self, name: str) -> Path:
        return self.folder / name

    def read(self, name: str, required: bool = True) -> Any:
        """A YAML file of this language's folder (None when optional and absent)."""
        path = self.file(name)
        if not path.exists() and not required:
            return None
        return load_yaml(path, LanguageError, f"{self.code} language file")


def language_cache(fn: _F) -> _F:
    """``functools.cache``, cleared by :func:`reload` (for anything derived from the folders)."""
    cached = cache(fn)
    _CACHED.append(cached)
    return cached  # type: ignore[return-value]


def forget_on_reload(cached: _F) -> _F:
    """Register an already-cached function (``lru_cache``) to be cleared by :func:`reload`."""
    _CACHED.append(cached)
    return cached


def _roots() -> list[Path]:
    extra = [Path(p) for p in os.environ.get(ENV, "").split(os.pathsep) if p.strip()]
    return [Path(__file__).parent, *extra]


def _check_regex(origin: str, pattern: str) -> str:
    import pyarrow as pa
    import pyarrow.compute as pc

    try:
        re.compile(pattern)
        pc.match_substring_regex(pa.array(["probe"]), pattern)
    except (re.error, pa.ArrowInvalid) as exc:
        raise LanguageError(f"{origin}: {pattern!r} is not valid in RE2 and Python re: {exc}") from exc
    return pattern


def _words(origin: str, key: str, items: Any) -> list[str]:
    """A word list, refusing what YAML read as something else (``no``, ``on`` are booleans unquoted)."""
    if isinstance(items, dict):
        items = [*items, *items.values()]
    for w in items or []:
        if not isinstance(w, str):
            raise LanguageError(f"{origin}: {key}: {w!r} is not a word; put it in quotes")
    return list(items or [])


def read(folder: Path) -> Language:
    """The language in ``folder`` (its code is the folder's name)."""
    code, origin = folder.name, str(folder / "language.yaml")
    doc = load_yaml(folder / "language.yaml", LanguageError, "language file") or {}
    if not isinstance(doc, dict):
        raise LanguageError(f"{origin}: a language file is a mapping (name, detect, lemmatiser, ...)")
    for key in ("negators", "negator_rename", "skip", "overrides", "fold", "restore_diacritics", "stopwords"):
        _words(origin, key, doc.get(key))
    _words(origin, "detect.words", (doc.get("detect") or {}).get("words"))
    bad = set(doc) - _KEYS
    if bad:
        raise LanguageError(f"{origin}: {sorted(bad)[0]}: unknown key; use {', '.join(sorted(_KEYS))}")
    det = doc.get("detect") or {}
    bad = set(det) - _DETECT_KEYS
    if bad:
        raise LanguageError(f"{origin}: detect.{sorted(bad)[0]}: unknown key; use {', '.join(sorted(_DETECT_KEYS))}")
    lemmatiser = str(doc.get("lemmatiser", "none"))
    if lemmatiser not in _LEMMATISERS:
        raise LanguageError(f"{origin}: lemmatiser {lemmatiser!r}; use {', '.join(_LEMMATISERS)}")
    shapes = det.get("shapes") or {}
    contractions = []
    for i, pair in enumerate(doc.get("contractions") or []):
        if not isinstance(pair, list) or len(pair) != 2:
            raise LanguageError(f"{origin}: contractions[{i}]: write [pattern, replacement]")
        contractions.append((_check_regex(origin, str(pair[0])), str(pair[1])))
    return Language(
        code=code,
        folder=folder,
        name=str(doc.get("name", code)),
        priority=int(det.get("priority", 0)),
        fallback=bool(det.get("fallback", False)),
        letters=_check_regex(origin, str(det["letters"])) if det.get("letters") else None,
        words=tuple(str(w) for w in det.get("words") or []),
        shapes=_check_regex(origin, str(shapes["pattern"])) if shapes.get("pattern") else None,
        shapes_at_least=int(shapes.get("at_least", 2)),
        lemmatiser=lemmatiser,
        lemmatise_only=_check_regex(origin, str(doc["lemmatise_only"])) if doc.get("lemmatise_only") else None,
        negators=frozenset(str(w) for w in doc.get("negators") or []),
        negator_form=str(doc.get("negator_form", "listed")),
        negator_rename={str(k): str(v) for k, v in (doc.get("negator_rename") or {}).items()},
        skip=frozenset(str(w) for w in doc.get("skip") or []),
        overrides={str(k): str(v) for k, v in (doc.get("overrides") or {}).items()},
        contractions=tuple(contractions),
        fold={str(k): str(v) for k, v in (doc.get("fold") or {}).items()},
        restore_diacritics={str(k): str(v) for k, v in (doc.get("restore_diacritics") or {}).items()},
        second_reading=str(doc["second_reading"]) if doc.get("second_reading") else None,
        stopwords=frozenset(str(w) for w in doc.get("stopwords") or []),
    )


@language_cache
def languages() -> dict[str, Language]:
    """Every language folder (a folder with a ``language.yaml``), by code, in code order."""
    found: dict[str, Path] = {}
    for root in _roots():
        if root.is_dir():
            for folder in sorted(root.iterdir()):
                if (folder / "language.yaml").is_file():
                    found[folder.name] = folder
    langs = {code: read(found[code]) for code in sorted(found)}
    fallbacks = [lg.code for lg in langs.values() if lg.fallback]
    if len(fallbacks) != 1:
        raise LanguageError(f"exactly one language folder must say 'detect: {{fallback: true}}'; found {fallbacks}")
    for lg in langs.values():
        if lg.second_reading and lg.second_reading not in langs:
            raise LanguageError(f"{lg.folder}/language.yaml: second_reading {lg.second_reading!r} is not a language")
    return langs


def codes() -> tuple[str, ...]:
    """The language codes there are folders for (``en``, ``pl``, ``ru`` built in)."""
    return tuple(languages())


def get(code: str) -> Language:
    return languages()[code]


@language_cache
def flow_pattern(kind: str) -> str | None:
    """One regex (case-insensitive use) for a flow phrase list across every language's ``flow.yaml``.

    Flow phrases ("reopened", "cancellation") are read from status columns and agent notes
    whatever the language detected, so they are the union of all languages' phrases.
    """
    pats = []
    for lg in languages().values():
        doc = lg.read("flow.yaml", required=False) or {}
        for p in doc.get(kind) or []:
            pats.append(_check_regex(str(lg.file("flow.yaml")), str(p)))
    return "|".join(pats) or None


def reload() -> None:
    """Forget what was read from the folders (after adding one, or changing ``$FLOWKIT_LANGUAGES``)."""
    for fn in _CACHED:
        fn.cache_clear()
