"""Personal data in free text is replaced by a label before any output is written.

Contact logs hold phone numbers, e-mail addresses, national ids and bank details inside
verbatims. Numbers with a checksum (PESEL, NIP, SNILS, INN, IBAN, payment cards) are masked
only when the checksum holds (python-stdnum), so an order or ticket number that merely has
the same length stays readable. Phone numbers are found by libphonenumber's Python port
(``phonenumbers``) for the regions flowkit's logs come from; a bare run of digits counts as a
phone only in a national shape (nine digits in Poland, 8/7 + ten digits in Russia, 0 + ten
in the UK), because a bare ten- or eleven-digit number is far more often an order number.
UK National Insurance numbers have no checksum: their letter rules (HMRC's prefixes) decide.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import phonenumbers
from stdnum import iban, luhn
from stdnum.pl import nip, pesel
from stdnum.ru import inn

__all__ = ["PHONE_REGIONS", "mask_pii", "mask_text", "snils_is_valid"]

#: regions whose national phone formats are recognised (any region's +/00 international form is)
PHONE_REGIONS = ("PL", "RU", "GB", "US")

EMAIL = "[e-mail]"
PHONE = "[phone]"
ID_NUMBER = "[ID number]"
SNILS = "[SNILS]"
BANK = "[bank account]"
CARD = "[card number]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IBAN = re.compile(r"(?<![0-9A-Za-z])[A-Za-z]{2}\d{2}(?: ?[0-9A-Za-z]{4}){2,7}(?: ?[0-9A-Za-z]{1,3})?(?![0-9A-Za-z])")
_NINO = re.compile(
    r"(?<![0-9A-Za-z])(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![0-9A-Za-z])",
    re.IGNORECASE,
)
#: digit groups joined by single spaces or hyphens, not glued to a word; a leading + makes it a phone
_DIGIT_RUN = re.compile(r"(?<![\w+#№/])\+?\d+(?:[ -]\d+)*(?![\w])")
_NEEDS_LOOK = re.compile(r"\d\d|@")


def snils_is_valid(number: str) -> bool:
    """Russian SNILS (11 digits): the last two are a checksum of the first nine (weights 9..1, mod 101)."""
    digits = re.sub(r"\D", "", number)
    if len(digits) != 11:
        return False
    total = sum(int(d) * (9 - i) for i, d in enumerate(digits[:9]))
    check = total if total < 100 else (0 if total in (100, 101) else total % 101 % 100)
    return int(digits[9:]) == check


#: how each kind of id is written when not compact (group lengths); anything else is not that id
_LAYOUTS: dict[str, set[tuple[int, ...]]] = {
    ID_NUMBER: {(3, 3, 2, 2), (3, 2, 2, 3)},  # NIP as Polish forms print it
    SNILS: {(3, 3, 3, 2)},
    CARD: {(4, 4, 4, 4), (4, 6, 5), (4, 4, 4, 4, 3), (4, 4, 4, 1), (4, 4, 4, 4, 2), (4, 4, 4, 4, 1), (4, 4, 4, 2)},
}


def _id_label(groups: list[str]) -> str | None:
    """The mask for digit groups that are one valid national id or card number, else None."""
    compact = "".join(groups)
    n = len(compact)
    label = None
    if n == 11:
        label = ID_NUMBER if pesel.is_valid(compact) else (SNILS if snils_is_valid(compact) else None)
    elif (n == 10 and (nip.is_valid(compact) or inn.is_valid(compact))) or (n == 12 and inn.is_valid(compact)):
        label = ID_NUMBER
    elif 13 <= n <= 19 and luhn.is_valid(compact):
        label = CARD
    if label and len(groups) > 1 and tuple(len(g) for g in groups) not in _LAYOUTS[label]:
        return None  # e.g. ticket 2026-000123: the digits happen to pass, the layout is no id's
    return label


def _mask_digit_ids(text: str) -> str:
    """A run of digit groups is masked whole when it is an id in that id's layout; otherwise each
    group on its own is checked (a PESEL followed by a phone number written with spaces)."""

    def one(match: re.Match) -> str:
        run = match.group(0)
        if run.startswith("+"):  # an international phone number: the phone step masks it
            return run
        pieces = re.split(r"([ -])", run)
        groups = pieces[0::2]
        whole = _id_label(groups)
        if whole:
            return whole
        return "".join(p if i % 2 else (_id_label([p]) or p) for i, p in enumerate(pieces))

    return _DIGIT_RUN.sub(one, text)


def _mask_iban(text: str) -> str:
    def one(match: re.Match) -> str:
        s = match.group(0)
        groups = s.split(" ")
        for j in range(len(groups), 0, -1):  # a trailing word may have been taken for the last group
            candidate = " ".join(groups[:j])
            if iban.is_valid(candidate):
                return BANK + s[len(candidate) :]
        return s

    return _IBAN.sub(one, text)


def _bare_is_phone(raw: str) -> bool:
    """A run of digits with no +, brackets or separators is a phone only in a national shape."""
    if not raw.isdigit():
        return True
    n = len(raw)
    return (
        n == 9
        or (n == 11 and raw[0] in "78")
        or (n in (10, 11) and raw[0] == "0" and raw[1] != "0")
        or (raw.startswith("00") and n >= 11)
    )


def _mask_phones(text: str) -> str:
    spans: list[tuple[int, int]] = []
    for region in PHONE_REGIONS:
        for m in phonenumbers.PhoneNumberMatcher(text, region):
            before = text[: m.start].rstrip("-/#№")
            # ORD-600123456 and #2026-000123 are order or ticket numbers, not phones
            glued = text[m.start - 1 : m.start] in ("#", "№") or (len(before) < m.start and before[-1:].isalnum())
            if not glued and _bare_is_phone(m.raw_string):
                spans.append((m.start, m.end))
    if not spans:
        return text
    spans.sort()
    merged = [list(spans[0])]
    for s, e in spans[1:]:
        if s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    out, last = [], 0
    for s, e in merged:
        out.append(text[last:s])
        out.append(PHONE)
        last = e
    out.append(text[last:])
    return "".join(out)


_STEPS: list[Callable[[str], str]] = [
    lambda t: _EMAIL.sub(EMAIL, t),
    _mask_iban,
    lambda t: _NINO.sub(ID_NUMBER, t),
    _mask_digit_ids,
    _mask_phones,
]


def mask_text(text: str) -> str:
    """One string with its e-mails, bank/card/national ids and phone numbers replaced by labels."""
    if not _NEEDS_LOOK.search(text):
        return text
    for step in _STEPS:
        text = step(text)
    return text


def mask_pii(text: pd.Series) -> pd.Series:
    """A Series of free text, masked; missing stays missing. Each distinct text is masked once."""
    values = text.astype(object)
    distinct = {v for v in values if isinstance(v, str)}
    done = {v: mask_text(v) for v in distinct}
    return pd.Series([done.get(v, v) if isinstance(v, str) else v for v in values], index=text.index, dtype=object)
