"""Rule packs on realistic verbatims and agent notes from several industries, per language.

None of these sentences appears in the sample generator: they test that the rules
generalise (inflection, missing diacritics, typos, terse notes), not that they memorised.
"""

import pandas as pd
import pytest

from flowkit.classify import builtin_rules, detect_language
from flowkit.classify.rules import apply_rules

RULES = builtin_rules()

# (text, demand, failure_type or None)
ENGLISH = [
    ("I'm phoning for the third time about my refund", "failure", "progress_chasing"),
    ("cust chasing claim payout, 4th call this month", "failure", "progress_chasing"),
    ("Any update on my mortgage application? Applied 3 weeks ago", "failure", "progress_chasing"),
    ("still waiting for the new bin you promised", "failure", "progress_chasing"),
    ("Where is my parcel? Order 55123", "failure", "progress_chasing"),
    ("The plumber never turned up on Tuesday", "failure", "not_done"),
    ("Nobody called me back as promised", "failure", "not_done"),
    ("my bins were not collected again this week", "failure", "not_done"),
    ("I haven't received my new bank card yet", "failure", "not_done"),
    ("eng no show, cust took day off", "failure", "not_done"),
    ("You've charged me twice for the same order", "failure", "done_wrong"),
    ("wrong meter reading on my gas bill", "failure", "done_wrong"),
    ("They sent me the wrong size shoes", "failure", "done_wrong"),
    ("the boiler is still not working after your engineer's visit", "failure", "not_resolved"),
    ("Same problem as last week, the heating cuts out", "failure", "not_resolved"),
    ("repeat fault on line, 2nd visit needed", "failure", "not_resolved"),
    ("I don't understand this letter about my council tax", "failure", "unclear"),
    ("What does the 'adjustment' on my statement mean?", "failure", "unclear"),
    ("I want to make a formal complaint about the way I was treated", "failure", "complaint"),
    ("This is unacceptable, escalate to a manager", "failure", "complaint"),
    ("I'd like to open a savings account", "value", None),
    ("Can I get a quote for home insurance?", "value", None),
    ("We're moving house on the 12th, please update our address", "value", None),
    ("I need to report a burst pipe in the street", "value", None),
    ("How do I pay my parking fine online?", "value", None),
    ("please cancel my gym membership from next month", "value", None),
    ("Lost my debit card, please block it", "value", None),
    ("I'd like to book a collection for a large item", "value", None),
]

POLISH = [
    ("Dzwonię już trzeci raz w sprawie zwrotu pieniędzy", "failure", "progress_chasing"),
    ("dzwonie juz trzeci raz w sprawie zwrotu pieniedzy", "failure", "progress_chasing"),
    ("Klientka ponownie pyta o status wniosku kredytowego", "failure", "progress_chasing"),
    ("Kiedy wreszcie dostanę odszkodowanie? Czekam od miesiąca", "failure", "progress_chasing"),
    ("Gdzie jest moja paczka? Zamawiałam dwa tygodnie temu", "failure", "progress_chasing"),
    ("Kurier nie przyjechał, czekałem cały dzień", "failure", "not_done"),
    ("Nikt nie oddzwonił, choć obiecano kontakt", "failure", "not_done"),
    ("Nie odebrali śmieci z naszej ulicy", "failure", "not_done"),
    ("Nie dostałem nowej karty płatniczej", "failure", "not_done"),
    ("Pobraliście opłatę dwukrotnie za to samo zamówienie", "failure", "done_wrong"),
    ("Faktura jest błędna - zawyżony odczyt licznika", "failure", "done_wrong"),
    ("zle naliczona skladka na polisie", "failure", "done_wrong"),
    ("Po wizycie serwisanta piec nadal nie działa", "failure", "not_resolved"),
    ("ponowna awaria, ten sam problem co w zeszłym tygodniu", "failure", "not_resolved"),
    ("Nie rozumiem pisma w sprawie podatku od nieruchomości", "failure", "unclear"),
    ("Co oznacza ta dodatkowa opłata na wyciągu?", "failure", "unclear"),
    ("Składam reklamację na obsługę w oddziale", "failure", "complaint"),
    ("To skandal, proszę o kontakt z kierownikiem", "failure", "complaint"),
    ("Chciałbym otworzyć konto oszczędnościowe", "value", None),
    ("Proszę o ofertę ubezpieczenia mieszkania", "value", None),
    ("Przeprowadzamy się, proszę zmienić adres korespondencyjny", "value", None),
    ("Zgłaszam awarię oświetlenia na ulicy Długiej", "value", None),
    ("Jak mogę zapłacić mandat przez internet?", "value", None),
    ("Chcę wypowiedzieć umowę na siłownię", "value", None),
    ("Zgubiłem kartę, proszę ją zastrzec", "value", None),
]

RUSSIAN = [
    ("Звоню уже в третий раз по поводу возврата денег", "failure", "progress_chasing"),
    ("Клиент повторно уточняет статус заявки на кредит", "failure", "progress_chasing"),
    ("Когда же наконец придёт страховая выплата? Жду месяц", "failure", "progress_chasing"),
    ("Где мой заказ? Оформлял две недели назад", "failure", "progress_chasing"),
    ("Курьер так и не приехал, ждал весь день", "failure", "not_done"),
    ("Мне обещали перезвонить, но никто не позвонил", "failure", "not_done"),
    ("Не вывезли мусор с нашей улицы", "failure", "not_done"),
    ("Не получил новую банковскую карту", "failure", "not_done"),
    ("С карты дважды списали оплату за один заказ", "failure", "done_wrong"),
    ("В квитанции неправильные показания счётчика", "failure", "done_wrong"),
    ("После визита мастера котёл всё ещё не работает", "failure", "not_resolved"),
    ("Опять та же проблема, что и на прошлой неделе", "failure", "not_resolved"),
    ("Не понимаю письмо про налог на имущество", "failure", "unclear"),
    ("Что означает эта комиссия в выписке?", "failure", "unclear"),
    ("Хочу подать жалобу на сотрудника отделения", "failure", "complaint"),
    ("Это безобразие, соедините с руководителем", "failure", "complaint"),
    ("Хочу открыть сберегательный счёт", "value", None),
    ("Прошу рассчитать стоимость страховки квартиры", "value", None),
    ("Мы переезжаем, прошу изменить адрес", "value", None),
    ("Сообщаю об аварии уличного освещения", "value", None),
    ("Как оплатить штраф онлайн?", "value", None),
    ("Хочу расторгнуть договор с фитнес-клубом", "value", None),
    ("Потерял карту, прошу заблокировать", "value", None),
]


def _run(cases):
    text = pd.Series([c[0] for c in cases], dtype="string[pyarrow]")
    return apply_rules(text, detect_language(text), RULES)


@pytest.mark.parametrize("cases,lang", [(ENGLISH, "en"), (POLISH, "pl"), (RUSSIAN, "ru")], ids=["en", "pl", "ru"])
def test_language_detection(cases, lang):
    text = pd.Series([c[0] for c in cases], dtype="string[pyarrow]")
    detected = detect_language(text)
    assert (detected == lang).mean() >= 0.9, list(zip(text, detected))


@pytest.mark.parametrize("cases", [ENGLISH, POLISH, RUSSIAN], ids=["en", "pl", "ru"])
def test_value_or_failure_on_unseen_verbatims(cases):
    got = _run(cases)
    wrong = [(c[0], c[1], g) for c, g in zip(cases, got["demand"]) if c[1] != g]
    assert len(wrong) <= len(cases) * 0.1, wrong


@pytest.mark.parametrize("cases", [ENGLISH, POLISH, RUSSIAN], ids=["en", "pl", "ru"])
def test_failure_types_on_unseen_verbatims(cases):
    got = _run(cases)
    fails = [(c, g) for c, g in zip(cases, got["failure_type"]) if c[1] == "failure"]
    wrong = [(c[0], c[2], g) for c, g in fails if c[2] != g]
    assert len(wrong) <= len(fails) * 0.2, wrong


def test_every_row_says_which_rule_decided():
    got = _run(ENGLISH + [("", "unknown", None), ("Hello", "value", None)])
    assert got["rule"].notna().all()
    assert got["rule"].iloc[-2] == "no-text" and got["demand"].iloc[-2] == "unknown"
    assert got["rule"].iloc[-1] == "default:no-failure-signal" and got["confidence"].iloc[-1] < 0.8


def test_negation_vetoes_a_rule():
    got = _run([("Thanks for calling me back so quickly, all sorted", "value", None)])
    assert got["demand"].iloc[0] == "value"


def test_user_rules_come_first_and_can_disable_builtin(tmp_path):
    from flowkit.classify.rules import load_rules

    (tmp_path / "mine.yaml").write_text(
        "language: en\ndisable: [en.complaint]\nrules:\n"
        "  - {id: mine.meter, demand: failure, failure_type: done_wrong, demand_type: estimated bill,"
        " patterns: ['estimated (bill|reading)']}\n"
    )
    user, disabled = load_rules(tmp_path / "mine.yaml")
    rules = RULES.combined(user, disabled)
    text = pd.Series(["Why did I get an estimated bill again?", "I want to complain"], dtype="string[pyarrow]")
    got = apply_rules(text, detect_language(text), rules)
    assert got["rule"].tolist()[0] == "mine.meter"
    assert got["rule"].tolist()[1] != "en.complaint"


@pytest.mark.parametrize(
    "doc,needle",
    [
        ("rules: [{id: x, demand: maybe, patterns: [a]}]", "demand must be value or failure"),
        ("rules: [{id: x, demand: failure, failure_type: grumpy, patterns: [a]}]", "failure_type must be one of"),
        ("rules: [{id: x, demand: value, patterns: ['(unclosed']}]", "not a valid regular expression"),
        ("rules: [{id: x, demand: value, patterns: [a], colour: red}]", "colour: unknown key"),
    ],
)
def test_bad_rule_files_name_the_problem(tmp_path, doc, needle):
    from flowkit.classify.rules import RuleError, load_rules

    (tmp_path / "r.yaml").write_text(doc)
    with pytest.raises(RuleError, match=needle):
        load_rules(tmp_path / "r.yaml")
