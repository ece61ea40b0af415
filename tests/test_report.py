"""The report: privacy, escaping, real-log numbers, and a real browser opening the file."""

import re

import pandas as pd
import pytest

from flowkit.classify import classify
from flowkit.ingest import ingest, load_mapping
from flowkit.privacy import Privacy
from flowkit.report import build_report, mask_pii, pseudonymise
from flowkit.synth import generate
from tests.conftest import ROOT
from tests.handcheck import km_quantile

HOSTILE = [
    "<script>alert('x')</script> my bill is wrong",
    "<img src=x onerror=alert(1)> still waiting for my refund",
    "call me on +48 601 234 567 or jan.kowalski@example.pl, PESEL 44051401359",
    "мой СНИЛС 112-233-445 95, телефон 8 (912) 345-67-89, почта ivan@mail.ru — жду возврат",
]


def test_mask_pii_in_three_languages():
    masked = mask_pii(pd.Series([*HOSTILE[2:], None]))
    assert masked[0] == "call me on [phone] or [e-mail], PESEL [ID number]"
    assert (
        "112-233-445" not in masked[1] and "[SNILS]" in masked[1] and "[phone]" in masked[1] and "[e-mail]" in masked[1]
    )
    assert pd.isna(masked[2])


def test_pseudonyms_are_keyed_and_stable():
    ids = pd.Series(["KL-1", "KL-2", "KL-1", None])
    a, b = pseudonymise(ids, "secret"), pseudonymise(ids, "other")
    assert a[0] == a[2] != a[1] and a[0].startswith("C-") and a[3] is None
    assert a[0] != b[0]
    with pytest.raises(ValueError, match="secret key"):
        pseudonymise(ids, "")


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    log = generate(3000, seed=9)
    log.loc[log.index[:4], "text"] = HOSTILE
    log.loc[log.index[:4], "channel"] = "email"
    out = tmp_path_factory.mktemp("report")
    classified = classify(log.drop(columns=["demand", "demand_type", "failure_type", "language"])).contacts
    return build_report(classified, out, privacy=Privacy(b"k3y")), log


def test_report_escapes_and_masks_everything_from_the_log(hostile_report):
    report, _ = hostile_report
    html = report.path.read_text(encoding="utf-8")
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    for secret in ("601 234 567", "jan.kowalski@example.pl", "44051401359", "112-233-445 95", "ivan@mail.ru"):
        assert secret not in html
    assert not re.search(r"KL-\d{6}", html)  # customer ids pseudonymised
    assert "C-" in html


def test_report_is_self_contained_with_pngs_and_csvs(hostile_report):
    report, _ = hostile_report
    html = report.path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert html.count("data:image/png;base64,") == len(report.charts) >= 6
    for path in [*report.charts.values(), *report.tables.values()]:
        assert path.is_file() and path.stat().st_size > 0
    assert "failure demand" in report.sentences[0]


def _chromium() -> str:
    import shutil

    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail(
            "Chromium is not installed: `python3 bootstrap.py test` installs Debian's chromium; "
            "run it as root or install it by hand (apt-get install chromium)"
        )
    return path


def launch_chromium(p):
    """Debian's Chromium, quiet: no background networking, so any request seen is the page's own."""
    return p.chromium.launch(
        executable_path=_chromium(),
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    )


def test_report_in_a_real_browser(hostile_report, tmp_path):
    from playwright.sync_api import sync_playwright

    report, _ = hostile_report
    requests, dialogs = [], []
    with sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("request", lambda r: requests.append(r.url))
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(report.path.as_uri())
        page.wait_for_load_state("load")
        images = page.eval_on_selector_all("img", "els => els.map(e => [e.complete, e.naturalWidth])")
        shown = page.inner_text("body")
        page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
        browser.close()
    external = [u for u in requests if not u.startswith(("file:", "data:"))]
    assert external == [], external
    assert len(images) == len(report.charts) and all(ok and w > 100 for ok, w in images)
    assert dialogs == []  # no script ran
    assert "<script>alert('x')</script>" in shown  # shown as text
    assert (tmp_path / "report.png").stat().st_size > 50_000


def test_report_on_nyc311_matches_a_direct_pandas_count(real_logs, tmp_path):
    path = real_logs / "nyc311_2011_micro.csv"
    r = ingest(path, load_mapping(ROOT / "samples" / "mappings" / "nyc311_2011_micro.yaml"))
    classified = classify(r.contacts).contacts
    report = build_report(classified, tmp_path)
    raw = pd.read_csv(path, dtype=str)
    raw = raw[raw["Unique Key"].isin(r.contacts["contact_id"])]
    by_channel = pd.read_csv(report.tables["failure_by_channel"]).set_index("channel")
    expected = (
        raw["Open Data Channel Type"]
        .map({"PHONE": "phone", "ONLINE": "web", "UNKNOWN": "unknown", "OTHER": "unknown"})
        .value_counts()
    )
    assert by_channel["contacts"].to_dict() == expected.to_dict()
    assert report.numbers["contacts"] == len(raw)
    # end-to-end: created -> closed; a request with no (or an impossible) closing date is still open at the
    # end of the log, a censored time, never "0 days" (Kaplan-Meier written out in tests/handcheck.py)
    e2e = pd.read_csv(report.tables["end_to_end_days"], index_col=0)["days"]
    created = pd.to_datetime(raw["Created Date"], format="%m/%d/%Y %I:%M:%S %p")
    closed = pd.to_datetime(raw["Closed Date"], format="%m/%d/%Y %I:%M:%S %p")
    closed = closed.where(closed >= created)
    log_end = max(created.max(), closed.max())
    days = (closed.fillna(log_end) - created).dt.total_seconds() / 86400
    assert e2e["open"] == closed.isna().sum() == 43
    assert e2e["p50"] == pytest.approx(km_quantile(days, closed.notna(), 0.5), rel=1e-9)
    assert e2e["p90"] == pytest.approx(km_quantile(days, closed.notna(), 0.9), rel=1e-9)
    assert e2e["p50"] > days[closed.notna()].median()  # open requests are the slow ones


def test_report_simulation_section(tmp_path):
    from flowkit.report.simulation import simulation_section
    from flowkit.sim.calibrate import calibrate
    from flowkit.sim.experiment import data_value
    from flowkit.sim.fit import model_fit
    from tests.test_calibrate import bank_log
    from tests.test_whatif import two_fields

    log = bank_log()
    cal = calibrate(log, replications=2)
    fit = model_fit(log, cal.scenario, replications=2, workers=2)
    experiment = data_value(two_fields().with_changes(horizon_hours=40), replications=3, workers=2)
    section = simulation_section(fit, experiment, tmp_path)
    classified = classify(log).contacts
    report = build_report(classified, tmp_path, extra_sections=[section])
    html = report.path.read_text(encoding="utf-8")
    assert 'id="simulation"' in html and "reproduces its own log" in html
    assert "big_field (touches 60% of demand): saves" in html
    assert (tmp_path / "sim_data_value.png").is_file() and (tmp_path / "sim_model_fit.csv").is_file()
    # one sign convention: words, CSV and the ranking's numbers agree for every field
    table = pd.read_csv(tmp_path / "sim_what_if.csv").set_index("variant")
    for e in experiment.fields:
        saved = e["agent_hours_saved"]["mean"]
        assert table.loc[f"field {e['field']}", "agent_hours_saved"] == pytest.approx(saved)
        assert saved == pytest.approx(-e["deltas"]["agent_hours"]["mean"])
        sentence = next(p for p in section["paragraphs"] if p.startswith(f"{e['field']} (touches"))
        s = e["agent_hours_saved"]
        if s["ci95_low"] > 0 or s["ci95_high"] < 0:
            assert ("saves" in sentence) == (saved > 0) and ("costs" in sentence) == (saved < 0)
        else:
            assert "no evidence either way" in sentence and "saves" not in sentence
        assert "increase" not in sentence


def test_tables_show_percentages_only_for_shares(tmp_path):
    from flowkit.report.files import table_file as _table

    df = pd.DataFrame(
        {"days": [0.3, 12.0], "failure_share": [0.25, 0.5], "handle_diff_s": [-0.5, 3.25]},
        index=pd.Index(["p50", "p90"], name="stat"),
    )
    t = _table(df, tmp_path / "t.csv")
    assert t["rows"][0] == ["p50", "0.3", "25.0%", "-0.5"]
    assert t["rows"][1] == ["p90", "12", "50.0%", "3.25"]


def test_data_section_words_chart_and_csv_agree_on_every_sign(tmp_path):
    """Adjusted effects replace the naive table; positive 'saved' is good in text, chart and CSV alike."""
    import matplotlib.pyplot as plt
    import numpy as np

    from flowkit.report import charts

    log = generate(12_000, seed=8)
    plain = log.drop(
        columns=[c for c in log.columns if c.startswith("_te_")] + ["demand", "demand_type", "failure_type"]
    )
    report = build_report(classify(plain).contacts, tmp_path)
    html = report.path.read_text(encoding="utf-8")
    assert 'id="data-use"' in html and "observational" in html and "pilot" in html
    assert "adjusted for demand type" in html and "increase" not in html
    eff = pd.read_csv(tmp_path / "data_effects.csv")
    est = eff[eff["adjusted"].notna()]
    assert len(est) and np.allclose(est["saved"], np.where(est["outcome"] == "handle_s", -1, 1) * est["adjusted"])
    assert (est["saved_ci_low"] <= est["saved"]).all() and (est["saved"] <= est["saved_ci_high"]).all()
    for _, r in est[est["demand_type"] == "(all)"].iterrows():
        what = "handle time" if r["outcome"] == "handle_s" else "first-contact resolution"
        sentence = next(p for p in re.findall(r"<p>([^<]*)</p>", html) if p.startswith(f"{r['field']} - "))
        clause = next(c for c in sentence.split("; ") if what in c)
        if not r["significant"]:
            assert "no evidence either way" in clause
        elif r["saved"] > 0:
            assert "saves" in clause or "more at first contact" in clause
        else:
            assert "costs" in clause or "fewer at first contact" in clause
    ax = charts.effects_forest(eff, "handle_s")
    from matplotlib.collections import PathCollection

    plotted = np.concatenate(
        [c.get_offsets()[:, 0] for c in ax.collections if isinstance(c, PathCollection) and len(c.get_offsets())]
    )
    h = eff[(eff["outcome"] == "handle_s") & eff["adjusted"].notna()]
    assert set(np.round(plotted, 6)) <= set(np.round(h["saved"], 6))
    assert "saved" in ax.get_xlabel()
    plt.close(ax.figure)
    assert (tmp_path / "data_effects_handle_s.png").is_file() and not (tmp_path / "data_use_effects.csv").exists()
