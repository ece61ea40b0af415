"""Which language each contact is in (en, pl, ru), without downloaded models.

Service logs are short and noisy, so script and a few function words do better than a
statistical model would on three languages: Cyrillic means Russian; Polish letters or
common Polish words mean Polish (customers often type without diacritics); else English.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from flowkit.schema import STRING

__all__ = ["LANGUAGES", "arrow_text", "detect_language"]

LANGUAGES = ("en", "pl", "ru")
_CYRILLIC = "[А-Яа-яЁё]"
_POLISH_LETTERS = "[ąćęłńśźżĄĆĘŁŃŚŹŻ]"
#: spellings English almost never has: Polish typed without diacritics still shows them
_POLISH_SHAPES = r"(rz|sz|cz|dz|prz|ść|wn[aey]\b)|(enie|anie|acja|acji|ego|ych|owy|owa|owe|ować)([\s,.;:!?)]|$)"
_POLISH_WORDS = (
    r"(^|[\s,.;:!?(])(nie|się|sie|jest|czy|mam|mój|moj|moja|proszę|prosze|dzień|dzien|już|juz|że|jak|który|"
    r"ktory|która|ktora|sprawie|dla|oraz|bardzo|klient|klientka|znowu|nadal|wciąż|wciaz|gdzie|kiedy|dzięki|"
    r"dzieki|pan|pani|umowa|umowy|faktura|faktury|rachunek|rachunku|zamówienie|zamowienie|przez|jeszcze|"
    r"dzwonię|dzwonie|chcę|chce|mnie|mój|tylko|tak|ale|albo|żeby|zeby|został|zostal|była|byla|było|bylo)([\s,.;:!?)]|$)"
)


def arrow_text(text: pd.Series) -> pa.Array:
    """The column as a pyarrow string array, for RE2 kernels (no copy when already pyarrow-backed)."""
    s = text if text.dtype == STRING else text.astype(STRING)
    return pa.array(s.array)


def detect_language(text: pd.Series) -> pd.Series:
    """'ru', 'pl' or 'en' per row ('en' also for empty text, where it does not matter)."""
    arr = arrow_text(text)
    ru = pc.fill_null(pc.match_substring_regex(arr, _CYRILLIC), False)
    shapes = pc.greater_equal(pc.count_substring_regex(arr, _POLISH_SHAPES, ignore_case=True), 2)
    pl = pc.fill_null(
        pc.or_(
            pc.or_(
                pc.match_substring_regex(arr, _POLISH_LETTERS),
                pc.match_substring_regex(arr, _POLISH_WORDS, ignore_case=True),
            ),
            shapes,
        ),
        False,
    )
    ru, pl = ru.to_numpy(zero_copy_only=False), pl.to_numpy(zero_copy_only=False)
    out = pd.Series("en", index=text.index, dtype=object)
    out[pl] = "pl"
    out[ru] = "ru"
    return out.astype(STRING)
