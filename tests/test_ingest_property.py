"""Property tests: whatever junk an export holds, ingest accounts for every row and never crashes."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowkit.ingest import ingest

HEADER = "id;date;channel;wait;text"

good_row = st.builds(
    lambda i, d, h, ch, w, t: f"{i};{d:02d}.01.2026 {h:02d}:15;{ch};{w};{t}",
    st.integers(0, 50),
    st.integers(1, 31),
    st.integers(0, 23),
    st.sampled_from(["Telefon", "e-mail", "czat", "звонок", "", "Pigeon"]),
    st.sampled_from(["00:30", "12", "-5", "1:75", "", "abc", "12,5"]),
    st.text(alphabet=string.ascii_letters + "ąęłżźśćńó ", max_size=20),
)
junk_line = st.one_of(
    st.text(max_size=40).map(lambda t: t.replace("\r", "").replace("\n", " ")),
    st.just(""),
    st.just(";;;;;;;;;"),
    st.just('"unterminated;quote'),
    st.just("1;2"),
    st.binary(max_size=30).map(lambda b: b.decode("latin-1").replace("\r", "").replace("\n", " ")),
)
lines = st.lists(st.one_of(good_row, junk_line), max_size=40)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=lines,
    encoding=st.sampled_from(["utf-8", "cp1250", "cp1251", "utf-8-sig"]),
    newline=st.sampled_from(["\n", "\r\n"]),
)
def test_any_body_reconciles_exactly(tmp_path_factory, body, encoding, newline):
    path = tmp_path_factory.mktemp("prop") / "export.csv"
    text = newline.join([HEADER, *body]) + newline
    path.write_bytes(text.encode(encoding, errors="replace"))
    r = ingest(path)
    f = r.files[0]
    assert f.read == f.kept + f.n_dropped + f.n_quarantined
    assert r.reconciles
    assert r.contacts["contact_id"].is_unique
    assert r.contacts["received_at"].notna().all()
    assert (r.contacts["wait_s"].dropna() >= 0).all()
    assert len(r.quarantine) == f.n_quarantined
    # each row lands in exactly one place: the kept and quarantined sources never overlap
    assert not set(r.contacts["source_line"]) & set(r.quarantine["source_line"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=300))
def test_random_bytes_never_raise_anything_but_a_clear_error(tmp_path_factory, data):
    from flowkit.errors import FlowkitError

    path = tmp_path_factory.mktemp("bytes") / "junk.csv"
    path.write_bytes(b"date,text\n" + data)
    try:
        r = ingest(path)
    except FlowkitError as exc:  # e.g. the junk broke the header: a message, not a traceback
        assert "junk.csv" in str(exc)
    else:
        assert r.reconciles


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(st.integers(1, 28), st.integers(8, 17), st.integers(0, 3600)), min_size=1, max_size=30))
def test_clean_rows_are_all_kept(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("clean") / "calls.csv"
    body = [f"C{i},2026-02-{d:02d} {h:02d}:00:00,phone,{w}" for i, (d, h, w) in enumerate(rows)]
    path.write_text("\n".join(["contact_id,received_at,channel,wait_s", *body]) + "\n")
    r = ingest(path)
    assert r.kept == len(rows) and r.reconciles
    assert r.contacts["wait_s"].tolist() == [float(w) for _, _, w in rows]
