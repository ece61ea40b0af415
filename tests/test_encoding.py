"""Legacy exports: Polish cp1250, Russian cp1251, Western latin-1, UTF-8 with and without BOM."""

import pytest

from flowkit.ingest.encoding import decode, detect_encoding

POLISH = (
    "Data;Nr klienta;Notatka\n05.01.2026;KL-1;Klient dzwoni ponownie w sprawie zwrotu. "
    "Źle naliczona opłata, żąda korekty, technik się nie pojawił.\n"
) * 3
RUSSIAN = (
    "Дата\tКлиент\tТекст\n05.01.2026\tKL-1\tЗвоню уже третий раз, мастер так и не пришёл, обещали перезвонить.\n"
) * 3
FRENCH = "date,texte\n05/01/2026,Le technicien n'est pas venu, très déçu. Réclamation à traiter.\n" * 3


@pytest.mark.parametrize(
    "text,encoding",
    [(POLISH, "cp1250"), (RUSSIAN, "cp1251"), (FRENCH, "latin-1"), (POLISH, "utf-8"), (RUSSIAN, "utf-8")],
)
def test_detects_the_encoding_and_decodes_the_text_exactly(text, encoding):
    data = text.encode(encoding)
    assert detect_encoding(data) == encoding
    decoded, used, replaced = decode(data, None)
    assert decoded == text and used == encoding and replaced == 0


def test_bom_means_utf8_sig():
    data = "\ufeffa,b\n1,2\n".encode("utf-8")
    assert detect_encoding(data) == "utf-8-sig"
    assert decode(data, None)[0] == "a,b\n1,2\n"


def test_a_wrong_declared_encoding_is_reported_not_fatal():
    data = "zażółć gęślą jaźń".encode() + b"\x81\x98"
    _, used, replaced = decode(data, "cp1250")
    assert used == "cp1250" and replaced >= 1
