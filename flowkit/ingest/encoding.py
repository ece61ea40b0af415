"""Which text encoding an export is in, and which of its lines do not decode in it.

Legacy exports rarely say. A BOM settles it; UTF-16 without a BOM shows itself by NUL bytes
on every other position; a file where non-ASCII lines decode as UTF-8 is UTF-8 (multi-byte
sequences do not happen by chance), even if a few lines pasted from elsewhere do not.
Otherwise charset-normalizer does the statistics, restricted to the code pages service
organisations actually send. Lines that do not decode are returned with their line number
for the quarantine, never replaced by garbage.
"""

from __future__ import annotations

import codecs
import unicodedata
from dataclasses import dataclass, field

from charset_normalizer import from_bytes

from flowkit.errors import IngestError

__all__ = [
    "CANDIDATES",
    "BadLine",
    "Decoded",
    "by_line",
    "check_encoding",
    "decode",
    "decode_lines",
    "detect_encoding",
    "nul_lines",
    "refuse_binary",
]

CANDIDATES = ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1250", "cp1251", "koi8-r", "latin-1")
_LEGACY = ("cp1250", "cp1251", "koi8-r", "latin-1")
_SAMPLE_BYTES = 1 << 20
_CONTROL_SHARE = 0.05  # more control characters than this (and at least _CONTROL_MIN): not a text export
_CONTROL_MIN = 200


@dataclass
class BadLine:
    """A physical line that cannot be part of the table, with why."""

    line: int
    reason: str
    raw: str


@dataclass
class Decoded:
    """The text (undecodable lines left empty, so line numbers stay), and what was wrong."""

    text: str
    encoding: str
    bad: list[BadLine] = field(default_factory=list)
    replaced: int = 0


def _canonical(name: str) -> str:
    norm = codecs.lookup(name).name
    return {"iso8859-1": "latin-1", "koi8-r": "koi8-r"}.get(norm, norm)


def _utf16_without_bom(sample: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NUL bytes fill one byte of most pairs (ASCII-heavy text)."""
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    n = len(odd)
    nul_even, nul_odd = even.count(0) / n, odd.count(0) / n
    if nul_odd > 0.3 and nul_even < 0.05:
        return "utf-16-le"
    if nul_even > 0.3 and nul_odd < 0.05:
        return "utf-16-be"
    return None


def detect_encoding(data: bytes) -> str:
    """Best guess for ``data``: BOM, UTF-16 by its NULs, UTF-8, else a legacy code page."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = data[:_SAMPLE_BYTES]
    utf16 = _utf16_without_bom(sample)
    if utf16:
        return utf16
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):
        return "utf-8"
    best = from_bytes(sample, cp_isolation=["cp1250", "cp1251", "koi8_r", "latin_1"]).best()
    order = [_canonical(best.encoding)] if best is not None else []
    order += [e for e in _LEGACY if e not in order]
    for enc in order:
        try:
            data.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    return "latin-1"  # decodes any byte sequence


def _mostly_utf8(data: bytes) -> bool:
    """Most lines with non-ASCII bytes are valid UTF-8: a UTF-8 file with a few foreign lines."""
    good = bad = 0
    for line in data[:_SAMPLE_BYTES].split(b"\n"):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            good += 1
        except UnicodeDecodeError:
            bad += 1
    return good > bad


def decode(data: bytes, encoding: str | None) -> tuple[str, str, int]:
    """Decode ``data`` whole; returns (text, encoding used, number of undecodable bytes replaced)."""
    enc = check_encoding(encoding) if encoding else detect_encoding(data)
    try:
        return data.decode(enc), enc, 0
    except UnicodeDecodeError:
        text = data.decode(enc, errors="replace")
        return text, enc, text.count("\ufffd")


def check_encoding(encoding: str, name: str = "") -> str:
    """``encoding`` if Python knows it, else a mapping error naming the file."""
    try:
        codecs.lookup(encoding)
    except LookupError as exc:
        from flowkit.errors import MappingError

        where = f"{name}: " if name else ""
        raise MappingError(
            f"{where}unknown encoding {encoding!r} in the mapping; use one of {', '.join(CANDIDATES)}"
        ) from exc
    return encoding


def decode_lines(data: bytes, encoding: str | None, name: str) -> Decoded:
    """Decode ``data`` line by line when it must: lines that do not decode, or hold NUL bytes, are set aside.

    Raises :class:`IngestError` when the bytes are not text at all (a binary file named .csv).
    """
    enc = check_encoding(encoding, name) if encoding else detect_encoding(data)
    try:
        text = data.decode(enc)
        bad: list[BadLine] = []
        replaced = 0
    except UnicodeDecodeError:
        if enc.startswith("utf-16"):  # lines are not byte-separable here: replace and say so
            text = data.decode(enc, errors="replace")
            bad, replaced = [], text.count("\ufffd")
        else:
            text, bad = by_line(data, enc)
            replaced = 0
    text = text.lstrip("\ufeff")
    refuse_binary(text, name)
    if "\x00" in text:
        text, nul = nul_lines(text)
        bad = sorted(bad + nul, key=lambda b: b.line)
    return Decoded(text, enc, bad, replaced)


def by_line(data: bytes, enc: str, lines_before: int = 0) -> tuple[str, list[BadLine]]:
    """Decode line by line: a line that does not decode is emptied and returned with its number."""
    lines = data.split(b"\n")
    out: list[str] = []
    bad: list[BadLine] = []
    for number, raw in enumerate(lines, start=lines_before + 1):
        try:
            out.append(raw.decode(enc))
        except UnicodeDecodeError as exc:
            bad.append(
                BadLine(
                    number,
                    f"undecodable line: byte 0x{raw[exc.start]:02x} at position {exc.start + 1} is not {enc}",
                    raw.decode(enc, errors="backslashreplace")[:500],
                )
            )
            out.append("")
    return "\n".join(out), bad


def nul_lines(text: str, lines_before: int = 0) -> tuple[str, list[BadLine]]:
    """Lines holding NUL bytes (binary data pasted into text) emptied and returned with their numbers."""
    lines = text.split("\n")
    bad = []
    for i, line in enumerate(lines):
        if "\x00" in line:
            bad.append(
                BadLine(
                    lines_before + i + 1,
                    "NUL byte in line: binary data inside a text export",
                    line.replace("\x00", "\\0")[:500],
                )
            )
            lines[i] = ""
    return "\n".join(lines), bad


def refuse_binary(text: str, name: str) -> None:
    """Refuse bytes that decode but are no text export (a binary file named .csv)."""
    sample = text[:65536]
    if not sample:
        return
    controls = sum(1 for ch in sample if ch not in "\t\r\n" and unicodedata.category(ch) == "Cc")
    if controls >= _CONTROL_MIN and controls / len(sample) > _CONTROL_SHARE:
        raise IngestError(
            f"{name}: does not look like a text export ({controls / len(sample):.0%} control characters); "
            "check that this is the CSV/JSON file and not a binary or a wrongly named one"
        )
