"""The labelling loop: which contacts are chosen (planted truth), the page's privacy, and a real
browser labelling with the keyboard and a CSV that round-trips into ``classify --train``."""

import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from flowkit.classify.label import choose, label_page
from flowkit.classify.labels import contacts_from_text, read_labels
from flowkit.cli import main
from flowkit.store import write_table

HOSTILE = "<script>alert('x')</script> my bill is wrong </script><!--"


def planted(seed: int = 5) -> pd.DataFrame:
    """A classified table whose answer we know: one big confident stratum, unknowns, a rare stratum,
    a text repeated under several ids, empty texts, and PII in text and customer ids."""
    rng = np.random.default_rng(seed)
    rows = []

    def add(text, lang, channel, demand, dtype, conf, ftype=None):
        rows.append(
            {
                "contact_id": f"C{len(rows):04d}",
                "customer_id": f"KL-{100000 + len(rows)}",
                "text": text,
                "language": lang,
                "channel": channel,
                "demand": demand,
                "demand_type": dtype,
                "failure_type": ftype,
                "rule": "model" if demand != "unknown" else "no-evidence",
                "confidence": conf,
            }
        )

    for i, c in enumerate(rng.uniform(0.6, 0.99, 40)):
        add(f"please change my billing address to street {i}", "en", "phone", "value", "billing", round(c, 3))
    for i in range(3):
        add(f"hmm {i} well", "en", "phone", "unknown", None, 0.0)
    for i, c in enumerate(rng.uniform(0.55, 0.95, 10)):
        add(f"paczka {i} nadal nie dotarła", "pl", "email", "failure", "late delivery", round(c, 3), "not_done")
    add("передаю показания счётчика 12345", "ru", "web", "value", "meter reading", 0.99)
    for _ in range(5):  # the same words under five ids: labelled once, under the first id
        add("call me back on +48 601 234 567", "en", "phone", "value", "billing", 0.61)
    add(HOSTILE, "en", "email", "failure", "billing error", 0.7, "done_wrong")
    for _ in range(3):
        add(None, "en", "phone", "unknown", None, 0.0)
    add("   ", "en", "phone", "unknown", None, 0.0)
    return pd.DataFrame(rows)


def _stratum(df):
    return list(zip(df["language"], df["channel"], df["demand_type"].fillna(df["demand"]), strict=True))


def test_every_stratum_first_and_its_least_sure_contact_first():
    df = planted()
    strata = set(_stratum(df[df["text"].fillna("").str.strip() != ""]))
    assert len(strata) == 5
    s = choose(df, n=len(strata), seed=0)
    assert set(_stratum(s.rows)) == strata  # the rare, confident Russian one included
    for key in strata:
        pool = df[[k == key for k in _stratum(df)]]
        picked = s.rows[[k == key for k in _stratum(s.rows)]]
        assert picked["confidence"].iloc[0] == pool["confidence"].min()
    # unknowns lead the page; then least confident
    assert s.rows["demand"].iloc[0] == "unknown"
    conf = s.rows["confidence"].where(s.rows["demand"] != "unknown", 0.0)
    u = np.where(s.rows["demand"] == "unknown", 1.0, 2 * (1 - conf))
    assert (np.diff(np.clip(u, 0, 1)) <= 1e-12).all()


def test_a_bigger_sample_takes_the_least_sure_of_each_stratum_and_each_text_once():
    df = planted()
    s = choose(df, n=30, seed=0)
    assert len(s.rows) == 30 and s.rows["text"].is_unique
    assert s.distinct_texts == 40 + 3 + 10 + 1 + 1 + 1
    billing = s.rows[s.rows["demand_type"] == "billing"]
    pool = df[(df["demand_type"] == "billing")].drop_duplicates("text")
    assert sorted(billing["confidence"]) == sorted(pool["confidence"].nsmallest(len(billing)))
    # the repeated text appears once, under its first contact id, and masked
    rep = s.rows[s.rows["text"].str.startswith("call me back")]
    first = df.loc[df["text"].fillna("").str.startswith("call me back"), "contact_id"].iloc[0]
    assert rep["contact_id"].tolist() == [first] == ["C0054"] and rep["text"].iloc[0] == "call me back on [phone]"
    assert not s.rows["text"].str.strip().eq("").any()
    everything = choose(df, n=10_000, seed=0)
    assert len(everything.rows) == s.distinct_texts


def test_the_choice_is_seeded():
    df = planted()
    df["confidence"] = 0.8  # every contact tied: only the seed orders them
    a, b, c = choose(df, n=12, seed=1), choose(df, n=12, seed=1), choose(df, n=12, seed=2)
    pd.testing.assert_frame_equal(a.rows, b.rows)
    assert a.page_id == b.page_id
    assert a.rows["contact_id"].tolist() != c.rows["contact_id"].tolist()
    with pytest.raises(ValueError, match="n must be"):
        choose(df, n=0)


def test_raw_contacts_are_classified_first_and_unknowns_lead():
    texts = pd.Series(
        [
            "I want to open a savings account",
            "Still no refund, third time I am calling",
            "qwerty zxcv",
            "Where is my order? I was promised it last week",
        ]
    )
    s = choose(contacts_from_text(texts), n=4)
    assert set(s.rows.columns) >= {"demand", "confidence", "rule"}
    assert s.rows["demand"].iloc[0] == "unknown" and s.rows["text"].iloc[0] == "qwerty zxcv"
    assert set(s.rows["demand"]) >= {"value", "failure"}


def test_page_embeds_escaped_json_and_no_personal_data():
    df = planted()
    html = label_page(choose(df, n=100, seed=0))
    for secret in ("601 234 567", "KL-1000"):
        assert secret not in html
    assert "<script>alert" not in html and "<!--" not in html.split('id="data">')[1]
    block = re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S).group(1)
    items = json.loads(block)["items"]
    assert HOSTILE in [i["text"] for i in items]  # exact text back after JSON.parse
    assert "innerHTML" not in html
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)


# ---------------------------------------------------------------------------------------------- browser

TEXTS = [
    HOSTILE,
    "I want to open a savings account",
    "Still no refund, third time I am calling",
    "Where is my order? I was promised it last week",
    "please send me a new card, I moved house",
    "the engineer never came, I waited all day",
    "the replacement doesn't fit, same as the first one",
    "your letter has no date on it, what does it mean",
    "I am making a formal complaint",
    "just wondering where things are with my claim",
    "cut off even though I paid",
    "I would like to add my wife to the account",
    "Chcę założyć konto oszczędnościowe",
    "Paczka nadal nie dotarła, dzwonię trzeci raz",
    "Хочу подключить интернет",
    "Жду возврат уже месяц",
    "call me on +48 601 234 567 about a new contract",
    "qwerty zxcv",
]
# what is pressed on each contact, in page order; 'f3' = f then 3
PLAN = ["v", "f1", "u", "f2", "v", "f4", "f5", "f6", "v", "f3", "v", "v", "f1", "v", "f1", "u", "v", "f4"]


def test_label_page_in_a_real_browser_round_trips_into_train(tmp_path):
    from playwright.sync_api import sync_playwright

    from tests.test_report import launch_chromium

    contacts = write_table(contacts_from_text(pd.Series(TEXTS)), tmp_path / "contacts.csv")
    page_path = tmp_path / "sample.html"
    out = CliRunner().invoke(main, ["label", str(contacts), "--out", str(page_path), "--n", "50", "--seed", "3"])
    assert out.exit_code == 0, out.output
    assert f"{len(TEXTS)} contacts to label" in out.output
    html = page_path.read_text(encoding="utf-8")
    items = json.loads(re.search(r'id="data">(.*?)</script>', html, re.S).group(1))["items"]
    assert len(items) == len(PLAN)

    requests, dialogs, shown = [], [], []
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(accept_downloads=True)
        page.on("request", lambda r: requests.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(page_path.as_uri())
        page.wait_for_load_state("load")
        half = len(PLAN) // 2
        for keys in PLAN[:half]:
            shown.append(page.inner_text("#text"))
            for k in keys:
                page.keyboard.press(k)
        page.reload()  # nothing lost: labels and place kept
        page.wait_for_load_state("load")
        assert page.inner_text("#progress") == f"{half} of {len(PLAN)} labelled"
        assert page.inner_text("#pos").startswith(f"{half + 1} /")
        for keys in PLAN[half:]:
            shown.append(page.inner_text("#text"))
            for k in keys:
                page.keyboard.press(k)
        assert page.inner_text("#progress") == f"{len(PLAN)} of {len(PLAN)} labelled"
        page.keyboard.press("k")  # back one, then arrows: moving labels nothing
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowRight")
        assert page.inner_text("#label") == "value"  # the last stays put: 18th, back to the 17th (v)
        with page.expect_download() as dl:
            page.click("#download")
        csv_path = tmp_path / "labels.csv"
        dl.value.save_as(csv_path)
        browser.close()

    assert [u for u in requests if not u.startswith(("file:", "data:", "blob:"))] == []
    assert dialogs == []  # the <script> in a verbatim never ran
    assert shown == [i["text"] for i in items] and HOSTILE in shown  # ... it was shown as text

    got = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    assert list(got.columns) == ["contact_id", "text", "demand", "failure_type"]
    ftypes = dict(
        zip(
            "123456",
            ["progress_chasing", "not_done", "not_resolved", "done_wrong", "unclear", "complaint"],
            strict=True,
        )
    )
    want = {
        i["contact_id"]: ({"v": "value", "u": "unknown"}.get(k, "failure"), ftypes.get(k[1:], ""))
        for i, k in zip(items, PLAN, strict=True)
    }
    assert {r.contact_id: (r.demand, r.failure_type) for r in got.itertuples()} == want
    assert dict(zip(got["contact_id"], got["text"], strict=True)) == {i["contact_id"]: i["text"] for i in items}
    labels = read_labels(csv_path)
    assert labels["text"].tolist() == got["text"].tolist()

    trained = CliRunner().invoke(
        main, ["classify", str(contacts), "--train", str(csv_path), "--out", str(tmp_path / "classified.csv")]
    )
    assert trained.exit_code == 0, trained.output
    n_labelled = sum(k[0] in "vf" for k in PLAN)
    assert f"model trained on {n_labelled} labelled verbatims" in trained.output
