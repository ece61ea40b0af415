"""The labelling loop: choose the contacts worth a consultant's time and write one page to label them.

A few hundred labels teach the trained mode most when they go where the classifier is
least sure (``unknown`` and low confidence first: active learning by uncertainty) and when
they cover every language, channel and demand type the log has (a round-robin over those
strata), each distinct text once. The page is one self-contained HTML file, opened from
disk: no server, no network. Labels live in the browser's localStorage until downloaded as
the CSV ``classify --train`` reads. Texts are PII-masked; customer ids never reach the page.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd
from jinja2 import Environment

from flowkit import schema
from flowkit.privacy import mask_pii

__all__ = ["FAILURE_KEYS", "LabelSample", "choose", "label_page", "write_label_page"]

#: keys 1-6 after ``f``, in the contract's order
FAILURE_KEYS = dict(zip("123456", schema.FAILURE_TYPES, strict=True))
SHOWN = ["contact_id", "text", "language", "channel", "demand", "failure_type", "demand_type", "rule", "confidence"]


@dataclass
class LabelSample:
    """The chosen contacts (in the order to label them) and how they were chosen."""

    rows: pd.DataFrame  # SHOWN columns; text masked; ordered most useful first
    distinct_texts: int  # distinct non-empty texts the choice was made from
    seed: int

    @property
    def page_id(self) -> str:
        """Stable for one sample: the localStorage key, so two pages never share labels."""
        h = hashlib.sha256()
        for cid, text in zip(self.rows["contact_id"], self.rows["text"], strict=True):
            h.update(f"{cid}\x1f{text}\x1e".encode())
        return h.hexdigest()[:16]


def uncertainty(classified: pd.DataFrame) -> pd.Series:
    """1 for ``unknown``, else 2 × (1 − confidence): 0 at certainty, 1 at a coin toss."""
    conf = pd.to_numeric(classified["confidence"], errors="coerce").fillna(0.0).clip(0, 1)
    u = (2 * (1 - conf)).clip(0, 1)
    return u.where(classified["demand"].astype(str) != "unknown", 1.0)


def choose(contacts: pd.DataFrame, n: int = 200, seed: int = 0) -> LabelSample:
    """Pick ``n`` contacts to label: most uncertain first within each (language, channel, guessed
    type) stratum, strata taken in turn so every one is covered before any gets a second; each
    distinct text once (its first contact); ties broken by a seeded shuffle. Classifies first
    when ``contacts`` has no ``demand`` column."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if "demand" not in contacts.columns or "confidence" not in contacts.columns:
        from flowkit.classify import classify

        contacts = classify(contacts).contacts
    df = contacts.copy()
    if "language" not in df.columns:
        from flowkit.classify.language import detect_language

        df["language"] = detect_language(df["text"])
    text = df["text"].astype(object).where(df["text"].notna(), "").astype(str).str.strip()
    df = df[text != ""].assign(text=text[text != ""])
    df = df.drop_duplicates("text", keep="first")
    rng = np.random.default_rng(seed)
    df = df.assign(_u=uncertainty(df).to_numpy(), _tie=rng.permutation(len(df)))
    guess = df["demand_type"].astype(object).where(df["demand_type"].notna(), df["demand"].astype(str))
    strata = [df["language"].astype(str), df["channel"].astype(str), guess.astype(str)]
    df = df.sort_values(["_u", "_tie"], ascending=[False, True])
    df["_rank"] = df.groupby([s.loc[df.index] for s in strata], sort=False).cumcount()
    df = df.sort_values(["_rank", "_u", "_tie"], ascending=[True, False, True]).head(n)
    rows = pd.DataFrame({c: df[c].astype(object) if c in df.columns else None for c in SHOWN})
    rows["text"] = mask_pii(rows["text"])
    rows["contact_id"] = rows["contact_id"].astype(str)
    rows["confidence"] = pd.to_numeric(rows["confidence"], errors="coerce").round(3)
    return LabelSample(rows.reset_index(drop=True), int(text[text != ""].nunique()), seed)


def _json_for_script(obj: object) -> str:
    """JSON safe inside ``<script type="application/json">``: no ``<``, ``>`` or ``&`` survive, so
    neither ``</script>`` nor ``<!--`` can end or bend the block."""
    return (
        json.dumps(obj, ensure_ascii=False, allow_nan=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def label_page(sample: LabelSample, title: str = "Label contacts") -> str:
    """The self-contained labelling page (HTML text)."""
    items = []
    for r in sample.rows.itertuples(index=False):
        conf = None if pd.isna(r.confidence) else float(cast(float, r.confidence))  # a Float64 column
        items.append(
            {
                k: (None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v))
                for k, v in zip(SHOWN, r, strict=True)
                if k != "confidence"
            }
            | {"confidence": conf}
        )
    data = {"page": sample.page_id, "failure_types": list(schema.FAILURE_TYPES), "items": items}
    env = Environment(autoescape=True)
    return env.from_string(_TEMPLATE).render(title=title, n=len(items), data=_json_for_script(data), keys=FAILURE_KEYS)


def write_label_page(sample: LabelSample, out: str | Path, title: str = "Label contacts") -> Path:
    from flowkit.safewrite import write_text

    return write_text(Path(out), label_page(sample, title))


# The page. Log text only ever reaches the DOM through textContent; the data block is JSON
# made safe by _json_for_script and marked safe here because it is already escaped for <script>.
_TEMPLATE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0;background:#f6f6f4;color:#222}
header{padding:.6em 1em;background:#234;color:#fff;display:flex;gap:1.5em;align-items:center;flex-wrap:wrap}
header h1{font-size:1.1em;margin:0}
main{max-width:60em;margin:1em auto;padding:0 1em}
#card{background:#fff;border:1px solid #ccc;border-radius:6px;padding:1em 1.2em}
#text{font-size:1.25em;white-space:pre-wrap;margin:.4em 0 .8em}
.meta{color:#555;font-size:.9em}
#label{font-weight:bold;font-size:1.1em}
#label.value{color:#06632b}#label.failure{color:#a11}#label.unknown{color:#666}
#pending{color:#a11}
kbd{border:1px solid #999;border-radius:3px;padding:0 .3em;background:#eee;font-size:.9em}
#help li{margin:.2em 0}
button{font-size:1em;padding:.3em .8em}
</style></head>
<body>
<header><h1>{{ title }}</h1>
<span id="progress" aria-live="polite"></span>
<button id="download" type="button">Download labels CSV</button></header>
<main>
<div id="card">
  <div class="meta">Contact <span id="pos"></span> · <span id="cid"></span> · <span id="lang"></span> · <span id="channel"></span></div>
  <p id="text"></p>
  <div class="meta">Classifier's guess: <span id="guess"></span> (<span id="reason"></span>)</div>
  <p>Your label: <span id="label"></span> <span id="pending"></span></p>
</div>
<ul id="help" class="meta">
  <li><kbd>v</kbd> value demand · <kbd>f</kbd> failure demand, then the sub-type:
    {% for k, name in keys.items() %}<kbd>{{ k }}</kbd> {{ name }}{% if not loop.last %}, {% endif %}{% endfor %}</li>
  <li><kbd>u</kbd> unknown / skip · <kbd>j</kbd> or <kbd>→</kbd>/<kbd>↓</kbd> next · <kbd>k</kbd> or <kbd>←</kbd>/<kbd>↑</kbd> previous</li>
  <li>Labels are kept in this browser (localStorage) until you download them; {{ n }} contacts, chosen where the classifier is least sure, across languages, channels and types. The CSV is what <code>flowkit classify --train</code> reads.</li>
</ul>
</main>
<script type="application/json" id="data">{{ data|safe }}</script>
<script>
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("data").textContent);
  var items = data.items, types = data.failure_types;
  var storeKey = "flowkit-label:" + data.page;
  var labels = {}, pos = 0, pendingFailure = false;
  try { labels = JSON.parse(localStorage.getItem(storeKey) || "{}") || {}; } catch (e) { labels = {}; }
  try { pos = Math.min(Math.max(parseInt(localStorage.getItem(storeKey + ":pos") || "0", 10) || 0, 0), items.length - 1); } catch (e) { pos = 0; }
  function $(id) { return document.getElementById(id); }
  function save() {
    try { localStorage.setItem(storeKey, JSON.stringify(labels)); localStorage.setItem(storeKey + ":pos", String(pos)); } catch (e) {}
  }
  function describe(l) {
    if (!l) return "";
    return l.demand + (l.failure_type ? " / " + l.failure_type.replace(/_/g, " ") : "");
  }
  function show() {
    var it = items[pos];
    if (!it) { $("text").textContent = "(nothing to label)"; return; }
    var done = 0;
    for (var i = 0; i < items.length; i++) if (labels[items[i].contact_id]) done++;
    $("progress").textContent = done + " of " + items.length + " labelled";
    $("pos").textContent = (pos + 1) + " / " + items.length;
    $("cid").textContent = it.contact_id;
    $("lang").textContent = it.language || "language unknown";
    $("channel").textContent = it.channel || "channel unknown";
    $("text").textContent = it.text;
    var g = it.demand || "unknown";
    if (it.failure_type) g += " / " + it.failure_type.replace(/_/g, " ");
    if (it.confidence !== null) g += ", confidence " + it.confidence.toFixed(2);
    $("guess").textContent = g;
    $("reason").textContent = (it.demand_type ? it.demand_type + "; " : "") + "why: " + (it.rule || "none");
    var l = labels[it.contact_id];
    $("label").textContent = l ? describe(l) : "not labelled yet";
    $("label").className = l ? l.demand : "";
    $("pending").textContent = pendingFailure ? "failure: press 1-" + types.length + " for the sub-type" : "";
  }
  function move(d) { pendingFailure = false; pos = Math.min(Math.max(pos + d, 0), items.length - 1); save(); show(); }
  function setLabel(demand, ftype) {
    labels[items[pos].contact_id] = {demand: demand, failure_type: ftype || ""};
    save();
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || !items.length) return;
    var k = ev.key;
    if (pendingFailure && /^[1-9]$/.test(k) && +k <= types.length) {
      setLabel("failure", types[+k - 1]); move(1);
    } else if (k === "v") { setLabel("value", ""); move(1);
    } else if (k === "u") { setLabel("unknown", ""); move(1);
    } else if (k === "f") { setLabel("failure", ""); pendingFailure = true; show();
    } else if (k === "j" || k === "ArrowDown" || k === "ArrowRight") { move(1);
    } else if (k === "k" || k === "ArrowUp" || k === "ArrowLeft") { move(-1);
    } else { return; }
    ev.preventDefault();
  });
  function cell(v) { return '"' + String(v === null || v === undefined ? "" : v).replace(/"/g, '""') + '"'; }
  $("download").addEventListener("click", function () {
    var lines = ["contact_id,text,demand,failure_type"];
    for (var i = 0; i < items.length; i++) {
      var l = labels[items[i].contact_id];
      if (l) lines.push([items[i].contact_id, items[i].text, l.demand, l.failure_type].map(cell).join(","));
    }
    var blob = new Blob([lines.join("\r\n") + "\r\n"], {type: "text/csv;charset=utf-8"});
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "labels.csv";
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(function () { URL.revokeObjectURL(a.href); }, 1000);
  });
  show();
})();
</script>
</body></html>
"""
