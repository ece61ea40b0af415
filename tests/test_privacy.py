"""Masking and pseudonyms: checksummed ids masked only when the checksum holds, phones by libphonenumber,
customer ids keyed per folder or by a given key.

The valid ids below are built here from each scheme's published checksum rule (not by the code under
test), and each is paired with a number of the same shape whose checksum fails: an order number.
"""

from __future__ import annotations

import stat

import pandas as pd
import pytest

from flowkit.privacy import KEY_FILE, Privacy, folder_key, mask_text, privacy_for


def _pesel(body10: str) -> str:
    weights = [1, 3, 7, 9, 1, 3, 7, 9, 1, 3]
    return body10 + str((10 - sum(int(d) * w for d, w in zip(body10, weights, strict=True)) % 10) % 10)


def _nip(body9: str) -> str:
    check = sum(int(d) * w for d, w in zip(body9, [6, 5, 7, 2, 3, 4, 5, 6, 7], strict=True)) % 11
    assert check != 10
    return body9 + str(check)


def _luhn(body: str) -> str:
    total = 0
    for i, d in enumerate(reversed(body)):
        v = int(d) * (2 if i % 2 == 0 else 1)
        total += v - 9 if v > 9 else v
    return body + str((10 - total % 10) % 10)


def _iban(country: str, bban: str) -> str:
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def _spaced(s: str) -> str:
    return " ".join(s[i : i + 4] for i in range(0, len(s), 4))


PESEL = _pesel("9001011234")
NIP = _nip("526025995")
CARD = _luhn("411111111111111")
IBAN = _iban("PL", "109010140000071219812874")
GB_IBAN = _iban("GB", "NWBK60161331926819")


def _broken(number: str) -> str:
    """The same shape with the last digit changed: an order number, not an id."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


@pytest.mark.parametrize(
    "secret, label",
    [
        (PESEL, "[ID number]"),
        (NIP, "[ID number]"),
        (f"{NIP[:3]}-{NIP[3:6]}-{NIP[6:8]}-{NIP[8:]}", "[ID number]"),
        ("7707083893", "[ID number]"),  # INN of a company (10 digits), the FNS's published example
        ("500100732259", "[ID number]"),  # INN of a person (12 digits)
        ("112-233-445 95", "[SNILS]"),
        ("AB123456C", "[ID number]"),  # UK National Insurance, compact
        ("AB 12 34 56 C", "[ID number]"),
        (IBAN, "[bank account]"),
        (_spaced(IBAN), "[bank account]"),
        (_spaced(GB_IBAN), "[bank account]"),
        (CARD, "[card number]"),
        (_spaced(CARD), "[card number]"),
        ("jan.kowalski+faktura@example.co.uk", "[e-mail]"),
        ("+48 601 234 567", "[phone]"),
        ("601 234 567", "[phone]"),
        ("601234567", "[phone]"),
        ("8 (912) 345-67-89", "[phone]"),
        ("+7 912 345-67-89", "[phone]"),
        ("020 7946 0958", "[phone]"),
        ("(212) 555-0123", "[phone]"),
        ("+1 212 555 0123", "[phone]"),
    ],
)
def test_personal_data_in_free_text_is_masked(secret, label):
    masked = mask_text(f"klient pisze: {secret}, prosze o kontakt")
    assert masked == f"klient pisze: {label}, prosze o kontakt"


@pytest.mark.parametrize(
    "order",
    [
        _broken(PESEL),  # 11 digits, PESEL checksum fails
        _broken(NIP),
        _broken(CARD),  # 16 digits, Luhn fails
        _spaced(_broken(IBAN)),
        "12345678901",  # 11 digits: a valid US phone number by shape, but bare digits are an order here
        "4829173650",  # 10 bare digits
        "ORD-601234567",  # glued to a word: an order code
        "ticket #2026-000123",
        "2026-01-05 10:00",
        "TN123456A",  # NI prefix HMRC never issues
    ],
)
def test_order_and_ticket_numbers_that_fail_the_checksum_are_not_masked(order):
    text = f"status zamowienia {order} prosze"
    assert mask_text(text) == text


def test_the_checksum_failure_really_fails():
    """Guard the fixtures: the broken numbers would be masked if their checksum held."""
    from stdnum import iban, luhn
    from stdnum.pl import nip, pesel

    assert pesel.is_valid(PESEL) and not pesel.is_valid(_broken(PESEL))
    assert nip.is_valid(NIP) and not nip.is_valid(_broken(NIP))
    assert luhn.is_valid(CARD) and not luhn.is_valid(_broken(CARD))
    assert iban.is_valid(IBAN) and not iban.is_valid(_broken(IBAN))


def test_several_secrets_in_one_text_each_masked():
    text = f"PESEL {PESEL} tel. 601 234 567, konto {_spaced(IBAN)} mail a@b.pl; zam. {_broken(PESEL)}"
    assert mask_text(text) == (
        f"PESEL [ID number] tel. [phone], konto [bank account] mail [e-mail]; zam. {_broken(PESEL)}"
    )


def _contacts():
    return pd.DataFrame(
        {
            "customer_id": pd.Series(["+48601234567", PESEL, None, "+48601234567"], dtype="string"),
            "text": pd.Series([f"mail me at x@y.pl or {PESEL}", "hello", None, "ok"], dtype="string"),
        }
    )


def test_folder_key_is_owner_only_and_repeated_runs_agree(tmp_path):
    a = privacy_for(tmp_path).protect(_contacts())
    mode = stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode)
    assert mode == 0o600
    b = privacy_for(tmp_path).protect(_contacts())
    assert a["customer_id"].tolist() == b["customer_id"].tolist()
    assert a["customer_id"][0] == a["customer_id"][3] != a["customer_id"][1]
    assert pd.isna(a["customer_id"][2])
    assert str(a["customer_id"].dtype) == "string"
    other = tmp_path / "other"
    c = privacy_for(other).protect(_contacts())
    assert c["customer_id"][0] != a["customer_id"][0]  # another folder, another key: cannot be joined
    assert folder_key(tmp_path) != folder_key(other)


def test_a_given_key_wins_and_show_ids_keeps_ids_but_still_masks_text(tmp_path):
    keyed = privacy_for(tmp_path, key="s3cret").protect(_contacts())
    assert (
        keyed["customer_id"].tolist()
        == privacy_for(tmp_path / "x", key="s3cret").protect(_contacts())["customer_id"].tolist()
    )
    assert not (tmp_path / KEY_FILE).exists()
    shown = privacy_for(tmp_path, show_ids=True).protect(_contacts())
    assert shown["customer_id"][1] == PESEL
    assert PESEL not in shown["text"][0] and "x@y.pl" not in shown["text"][0]


def test_protecting_twice_does_not_hash_twice(tmp_path):
    p = Privacy(b"k")
    once = p.protect(_contacts())
    assert p.protect(once)["customer_id"].tolist() == once["customer_id"].tolist()
