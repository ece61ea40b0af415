"""The example organisation's demand: types, their nature, and what customers say.

"Vistula Connect", a broadband and mobile provider with Polish-, English- and
Russian-speaking customers. Value demand is what it exists for (orders, moves, faults,
plan changes, payments, cancellations); failure demand is what its failures cause
(chasing, not done, not resolved, done wrong, unclear, complaints). Verbatims are written
as customers and agents really write them, typos and inflections included.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ALL_TYPES", "DATA_FIELDS", "FOLLOW_UP_TYPES", "STANDALONE_FAILURES", "VALUE_TYPES", "DemandType"]

DATA_FIELDS = ("account", "order_status", "appointment", "billing_history", "equipment_config", "contract")


@dataclass(frozen=True)
class DemandType:
    name: str
    demand: str  # value | failure
    failure_type: str | None
    weight: float  # share within its group
    handle_mean_s: float
    resolve_p: float  # resolved at this contact
    needs: tuple[str, ...]
    texts: dict[str, tuple[str, ...]] = field(default_factory=dict)  # language -> verbatims
    notes: dict[str, tuple[str, ...]] = field(default_factory=dict)  # language -> agent notes


VALUE_TYPES = (
    DemandType(
        "new connection",
        "value",
        None,
        0.20,
        420,
        0.80,
        ("account", "contract"),
        {
            "en": (
                "I'd like to order fibre broadband for my flat",
                "Can I get your 600 Mb internet at my address?",
                "Hi, we want to sign up for broadband and TV",
                "interested in a new mobile contract with 2 SIMs",
                "How do I order internet for a new home?",
            ),
            "pl": (
                "Chciałbym zamówić światłowód do mieszkania",
                "Czy mogę podłączyć internet pod moim adresem?",
                "Dzień dobry, chcemy zamówić internet i telewizję",
                "Interesuje mnie nowa umowa na telefon komórkowy",
                "Prosze o ofertę internetu dla firmy",
            ),
            "ru": (
                "Хочу подключить оптоволоконный интернет в квартиру",
                "Можно ли подключить интернет по моему адресу?",
                "Здравствуйте, хотим подключить интернет и телевидение",
                "Интересует новый тариф для мобильной связи",
            ),
        },
        {
            "en": ("new sale fibre 600, booked install", "cust wants bb+tv bundle, order placed"),
            "pl": ("nowa umowa światłowód 600, instalacja umówiona", "klient zamawia internet+tv, zamówienie złożone"),
        },
    ),
    DemandType(
        "moving home",
        "value",
        None,
        0.12,
        360,
        0.75,
        ("account", "contract", "appointment"),
        {
            "en": (
                "We're moving house next month, please transfer my service",
                "I am relocating, how do I move my internet?",
                "new address from 1st, can the router come with me?",
            ),
            "pl": (
                "Przeprowadzam się w przyszłym miesiącu, proszę o przeniesienie usługi",
                "Zmieniam adres, jak przenieść internet?",
                "od pierwszego nowy adres, czy mogę zabrać router?",
            ),
            "ru": ("Мы переезжаем в следующем месяце, прошу перенести услугу", "Меняю адрес, как перенести интернет?"),
        },
        {
            "en": ("home move booked for 1st, new address confirmed",),
            "pl": ("przeniesienie usługi na nowy adres, termin ustalony",),
        },
    ),
    DemandType(
        "fault report",
        "value",
        None,
        0.26,
        480,
        0.55,
        ("equipment_config", "account"),
        {
            "en": (
                "My internet keeps dropping since yesterday",
                "No signal on the TV box this morning",
                "wifi is really slow in the evenings",
                "the router shows a red light and nothing works",
                "Phone line is dead, no dial tone",
            ),
            "pl": (
                "Od wczoraj internet ciągle się rozłącza",
                "Brak sygnału na dekoderze od rana",
                "wieczorami wifi bardzo wolno działa",
                "router świeci na czerwono i nic nie działa",
                "Telefon stacjonarny nie ma sygnału",
            ),
            "ru": (
                "Со вчерашнего дня постоянно пропадает интернет",
                "Нет сигнала на приставке с утра",
                "Вечером очень медленный вайфай",
                "Роутер горит красным, ничего не работает",
            ),
        },
        {
            "en": ("fault: intermittent bb, line test ok, reset router", "no tv signal, remote reset done"),
            "pl": ("awaria: zrywa internet, test linii ok, reset routera", "brak sygnału tv, reset zdalny"),
        },
    ),
    DemandType(
        "change plan",
        "value",
        None,
        0.16,
        300,
        0.85,
        ("contract", "billing_history"),
        {
            "en": (
                "I want to upgrade to the 1 Gb plan",
                "Can I add unlimited data to my mobile?",
                "please change my package to the cheaper one",
            ),
            "pl": (
                "Chcę zmienić pakiet na 1 Gb",
                "Czy mogę dodać nielimitowane dane do telefonu?",
                "proszę zmienić mój pakiet na tańszy",
            ),
            "ru": ("Хочу перейти на тариф 1 Гб", "Можно добавить безлимитный интернет на телефон?"),
        },
        {
            "en": ("plan change to 1Gb done",),
            "pl": ("zmiana pakietu na 1Gb wykonana",),
        },
    ),
    DemandType(
        "payment arrangement",
        "value",
        None,
        0.16,
        240,
        0.9,
        ("billing_history", "account"),
        {
            "en": (
                "I'd like to set up a direct debit",
                "Can I pay my bill in two instalments this month?",
                "how can I pay by card online",
            ),
            "pl": (
                "Chciałbym ustawić polecenie zapłaty",
                "Czy mogę zapłacić rachunek w dwóch ratach?",
                "jak zapłacić kartą online",
            ),
            "ru": ("Хочу настроить автоплатёж", "Можно оплатить счёт в два платежа в этом месяце?"),
        },
        {
            "en": ("dd set up", "payment plan agreed 2 instalments"),
            "pl": ("ustawione polecenie zapłaty", "rozłożenie płatności na 2 raty"),
        },
    ),
    DemandType(
        "cancel contract",
        "value",
        None,
        0.10,
        330,
        0.8,
        ("contract", "account"),
        {
            "en": ("I want to cancel my contract at the end of the term", "please end my mobile contract"),
            "pl": ("Chcę wypowiedzieć umowę z końcem okresu", "proszę rozwiązać umowę na telefon"),
            "ru": ("Хочу расторгнуть договор в конце срока", "прошу закрыть мой мобильный договор"),
        },
        {
            "en": ("cancellation logged, retention offer declined",),
            "pl": ("wypowiedzenie przyjęte, oferta retencyjna odrzucona",),
        },
    ),
)

FOLLOW_UP_TYPES = (
    DemandType(
        "chasing progress",
        "failure",
        "progress_chasing",
        0.55,
        210,
        0.5,
        ("order_status", "appointment"),
        {
            "en": (
                "I'm calling again about my order, any news?",
                "Still waiting for the engineer date you promised",
                "what is happening with my installation?",
                "third time asking about my refund",
            ),
            "pl": (
                "Dzwonię ponownie w sprawie zamówienia, czy coś wiadomo?",
                "Nadal czekam na termin technika, który obiecaliście",
                "co się dzieje z moją instalacją?",
                "pytam już trzeci raz o zwrot pieniędzy",
            ),
            "ru": (
                "Звоню снова по поводу заказа, есть новости?",
                "Всё ещё жду дату визита мастера, которую обещали",
                "Что происходит с моим подключением?",
            ),
        },
        {
            "en": ("cust chasing install date, 2nd call", "cust chasing refund, 3rd call"),
            "pl": (
                "klient pyta o termin instalacji, 2gi telefon",
                "ponaglenie - obiecany kontakt zwrotny",
                "klientka dopytuje o zwrot, 3ci raz",
            ),
        },
    ),
    DemandType(
        "promise not kept",
        "failure",
        "not_done",
        0.20,
        270,
        0.55,
        ("appointment",),
        {
            "en": (
                "The engineer didn't turn up today, I took a day off for nothing",
                "You said someone would call me back, nobody did",
                "nobody came for the installation yesterday",
                "technician never arrived",
            ),
            "pl": (
                "Technik nie przyszedł, wziąłem wolne na darmo",
                "Wczoraj nikt nie przyjechał na instalację",
                "Mieliście oddzwonić i nikt nie oddzwonił",
                "serwisant się nie pojawił",
            ),
            "ru": (
                "Мастер не пришёл, я зря взял отгул",
                "Вчера никто не приехал на подключение",
                "Обещали перезвонить, никто не перезвонил",
            ),
        },
        {
            "en": (
                "engineer no-show, rebooked",
                "missed appt, cust unhappy",
                "chasing callback promised last wk, never rang",
            ),
            "pl": ("technik nie dotarł, nowy termin", "nieodbyta wizyta, klient niezadowolony"),
        },
    ),
    DemandType(
        "still not fixed",
        "failure",
        "not_resolved",
        0.25,
        420,
        0.5,
        ("equipment_config",),
        {
            "en": (
                "The internet still doesn't work after your fix",
                "problem is back again, same as last week",
                "it's still broken even after the reset",
            ),
            "pl": (
                "Internet nadal nie działa po naprawie",
                "problem wrócił, tak samo jak w zeszłym tygodniu",
                "dalej nie działa mimo resetu",
            ),
            "ru": (
                "Интернет так и не работает после ремонта",
                "Проблема вернулась, как на прошлой неделе",
                "всё ещё не работает даже после перезагрузки",
            ),
        },
        {
            "en": ("repeat fault, same issue as last wk, escalated",),
            "pl": ("ponowna awaria, ten sam problem, eskalacja",),
        },
    ),
)

STANDALONE_FAILURES = (
    DemandType(
        "billing error",
        "failure",
        "done_wrong",
        0.40,
        360,
        0.6,
        ("billing_history",),
        {
            "en": (
                "I was charged twice this month",
                "My bill is wrong, you charged me for a service I cancelled",
                "wrong amount on my invoice",
            ),
            "pl": (
                "Pobraliście opłatę dwa razy w tym miesiącu",
                "Rachunek jest błędny, naliczyliście usługę, którą anulowałem",
                "zła kwota na fakturze",
            ),
            "ru": ("С меня списали оплату дважды в этом месяце", "В счёте ошибка, начислили за отключённую услугу"),
        },
        {
            "en": ("double charge, credit raised",),
            "pl": ("podwójne obciążenie, korekta faktury",),
        },
    ),
    DemandType(
        "unclear letter",
        "failure",
        "unclear",
        0.30,
        240,
        0.85,
        ("billing_history", "contract"),
        {
            "en": (
                "I don't understand the letter you sent me",
                "what does this new charge on my bill mean?",
                "your email about price changes is confusing",
            ),
            "pl": (
                "Nie rozumiem pisma, które dostałem",
                "co oznacza ta nowa opłata na rachunku?",
                "mail o zmianie cen jest niezrozumiały",
            ),
            "ru": ("Не понимаю письмо, которое вы прислали", "Что означает новая строка в счёте?"),
        },
        {
            "en": ("explained letter re price rise",),
            "pl": ("wyjaśnienie pisma o podwyżce",),
        },
    ),
    DemandType(
        "complaint",
        "failure",
        "complaint",
        0.30,
        540,
        0.4,
        ("account", "billing_history"),
        {
            "en": (
                "I want to make a formal complaint about your service",
                "This is unacceptable, I want to speak to a manager",
            ),
            "pl": ("Chcę złożyć reklamację na waszą obsługę", "To jest skandal, proszę o kontakt z kierownikiem"),
            "ru": ("Хочу подать жалобу на ваше обслуживание", "Это безобразие, соедините с руководителем"),
        },
        {
            "en": ("formal complaint logged",),
            "pl": ("reklamacja przyjęta",),
        },
    ),
)

ALL_TYPES = VALUE_TYPES + FOLLOW_UP_TYPES + STANDALONE_FAILURES
