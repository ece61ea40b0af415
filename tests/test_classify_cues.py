"""Cue families per language: each fires on its positives and stays quiet on near-misses.

Sentences here are development examples written for these tests, not the held-out set
in tests/data (which no rule or cue was written against). Near-misses are the traps a
keyword list falls into: "again" in a renewal, "paid" with no problem, "transfer" of money.
"""

import pandas as pd
import pytest

from flowkit.classify.cues import FAMILIES, cue_features
from flowkit.classify.lemmas import normalise

# family: {language: ([positives], [near-miss negatives])}
CASES = {
    "repetition": {
        "en": (
            ["This is the third time I'm ringing", "Same problem as the first one", "the fault keeps coming back"],
            ["I'd like the same tariff for my son", "time to renew my policy"],
        ),
        "pl": (
            ["Dzwonię już trzeci raz", "znowu to samo", "Tak samo jak poprzedni, nie działa"],
            ["Proszę o to samo zamówienie dla syna", "Mam czas w czwartek"],
        ),
        "ru": (
            ["Звоню уже третий раз", "опять не работает", "такой же брак, как и первый"],
            ["Нужен повторный рецепт", "В какое время работает офис?"],
        ),
    },
    "payment_then_problem": {
        "en": (
            ["Cut off even though I paid", "I paid on Monday but the account is still blocked"],
            ["I paid my bill, can I have a receipt?", "How do I pay by card?"],
        ),
        "pl": (
            ["Odcięli prąd, mimo że zapłaciłem", "zaplacilem w poniedzialek, a konto dalej zablokowane"],
            ["Zapłaciłem rachunek, proszę o potwierdzenie", "Jak zapłacić kartą?"],
        ),
        "ru": (
            ["Отключили, хотя я оплатил", "оплатил в понедельник, а счет до сих пор заблокирован"],
            ["Оплатил счёт, пришлите квитанцию", "Как оплатить картой?"],
        ),
    },
    "transfer": {
        "en": (
            ["I was transferred four times", "passed from department to department", "nobody can tell me why"],
            ["I want to transfer money to my son", "please pass on my thanks"],
        ),
        "pl": (
            ["Przełączano mnie cztery razy", "nikt nie potrafi mi powiedzieć dlaczego"],
            ["Chcę zrobić przelew do syna", "Proszę przekazać podziękowania"],
        ),
        "ru": (
            ["Меня переключали четыре раза", "никто не может объяснить почему"],
            ["Хочу сделать перевод сыну", "Передайте благодарность"],
        ),
    },
    "promise_broken": {
        "en": (
            ["I was told I'd get a call back", "the engineer was supposed to come on Friday", "you promised a refund"],
            ["Please call me back on this number", "The engineer fixed it, thanks"],
        ),
        "pl": (
            ["Obiecaliście oddzwonić", "technik miał przyjechać w piątek", "mówiliście, że będzie naprawione"],
            ["Proszę o telefon na ten numer", "Technik naprawił, dziękuję"],
        ),
        "ru": (
            ["Обещали перезвонить", "мастер должен был прийти в пятницу", "сказали, что всё исправят"],
            ["Позвоните мне на этот номер", "Мастер всё починил, спасибо"],
        ),
    },
    "missing_info": {
        "en": (
            ["The letter doesn't say when", "no date on the letter", "the form has no reference number"],
            ["The letter says I owe 20 pounds", "What date is my appointment?"],
        ),
        "pl": (
            ["W piśmie nie ma daty", "brak informacji o terminie", "nie napisali, kiedy przyjdą"],
            ["W piśmie jest data wizyty", "Jaka jest data mojej wizyty?"],
        ),
        "ru": (
            ["В письме не указана дата", "нет даты в уведомлении", "без объяснения причин"],
            ["В письме указана дата визита", "Какая дата моего визита?"],
        ),
    },
    "chasing": {
        "en": (
            ["Just wondering where things are with my claim", "any update on my refund?", "Where is my parcel?"],
            ["Where can I park at the branch?", "I'd like to update my address"],
        ),
        "pl": (
            ["Co z moim zwrotem?", "na jakim etapie jest mój wniosek", "czy cos juz wiadomo w sprawie wniosku"],
            ["Gdzie mogę zaparkować przy oddziale?", "Chcę zaktualizować adres"],
        ),
        "ru": (
            ["Что с моим возвратом?", "на каком этапе моя заявка", "есть ли новости по заявке"],
            ["Где можно припарковаться у отделения?", "Хочу обновить адрес"],
        ),
    },
}


def fired(text: str, lang: str) -> set[str]:
    f = cue_features(pd.Series([text]), pd.Series([lang]))
    return {c for c in FAMILIES if f.iloc[0][c] > 0}


@pytest.mark.parametrize(
    "family,lang,text,expected",
    [(fam, lg, t, True) for fam, by in CASES.items() for lg, (pos, _) in by.items() for t in pos]
    + [(fam, lg, t, False) for fam, by in CASES.items() for lg, (_, neg) in by.items() for t in neg],
)
def test_cue_family_positives_and_near_misses(family, lang, text, expected):
    assert (family in fired(text, lang)) is expected, (family, lang, text, normalise(text, lang))


@pytest.mark.parametrize(
    "text,lang,token",
    [
        ("Paczka nie dotarła", "pl", " nie_dotrzec"),
        ("paczka nie dotarla", "pl", " nie_dotrzec"),  # typed without diacritics
        ("Посылка не пришла", "ru", " не_прийти"),
        ("Посылка ещё не пришла", "ru", " не_прийти"),
        ("My parcel hasn't arrived yet", "en", " not_arrive"),
        ("The card was not received", "en", " not_receive"),
    ],
)
def test_negation_is_glued_to_the_lemma_it_negates(text, lang, token):
    assert token in normalise(text, lang)


def test_inflected_forms_share_a_lemma():
    forms = ["Kurier nie przyjechał", "Kurierka nie przyjechała", "Kurierzy nie przyjechali"]
    assert len({normalise(t, "pl").split()[-1] for t in forms}) == 1
    ru = ["Мастер не пришёл", "Мастер не пришел", "Мастерица не пришла"]  # "пришли" is also "send!": ambiguous
    assert len({normalise(t, "ru").split()[-1] for t in ru}) == 1
