"""The report's text: one self-contained HTML page and a Markdown summary.

Everything that comes from an input (extractor names, configs, values, document texts,
explanations) goes through `esc` (HTML) or `md` (Markdown) exactly once, at the point where it
is written. Numeric cells of the tables carry `data-col` (the leaderboard.csv column) and
`data-value` (the CSV's own cell text), so a test or a script can check the page against the CSV.
"""

from __future__ import annotations

import base64
import html
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from benchmark.report_data import ExtractorView, ReportData, Sentences, find_value, snippets, valid_spans
from benchmark.types import CATEGORIES, FactOutcome

TITLE = "factbench report"
DETAIL_REGIME = "lenient"  # the ranking regime; missed/spurious lists are of this regime


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def num(value: Any, digits: int = 3) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return str(value)
    return f"{float(value):.{digits}f}"


def csv_value(value: Any) -> str:
    """The text leaderboard.csv holds for this value."""
    from benchmark.runs import csv_cell

    cell = csv_cell(value)
    return str(cell)


def _td(row: Any, col: str, digits: int = 3) -> str:
    value = getattr(row, col)
    return (f'<td class="num" data-col="{esc(col)}" data-value="{esc(csv_value(value))}">'
            f"{esc(num(value, digits))}</td>")


def _span(row: Any, col: str) -> str:
    value = getattr(row, col)
    return f'<span data-col="{esc(col)}" data-value="{esc(csv_value(value))}">{esc(num(value))}</span>'


def _rank(row: Any) -> str:
    if row.reference:
        return '<td class="rank"><span class="badge ref">reference</span></td>'
    return f'<td class="rank" data-col="rank" data-value="{esc(csv_value(row.rank))}">{esc(row.rank)}</td>'


def _row_open(row: Any) -> str:
    classes = ["regime-" + row.regime] + (["reference"] if row.reference else [])
    return (f'<tr class="{esc(" ".join(classes))}" data-extractor="{esc(row.extractor)}" '
            f'data-version="{esc(row.extractor_version)}" data-config="{esc(row.config_hash)}" '
            f'data-regime="{esc(row.regime)}">')


def _who(row: Any) -> str:
    return (f'<td class="name">{esc(row.extractor)}</td><td class="cfg">{esc(row.config_label)}</td>'
            f'<td class="regime">{esc(row.regime)}</td>')


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


# --------------------------------------------------------------------------- tables


def leaderboard_table(rows: list[Any]) -> str:
    head = ("<tr><th>rank</th><th>extractor</th><th>config</th><th>regime</th><th>F1</th><th>95% CI</th>"
            "<th>precision</th><th>recall</th><th>macro F1</th><th>unsupported rate</th><th>parse errors</th>"
            "<th>duplicates</th><th>failed docs</th><th>runtime s</th><th>peak MB</th></tr>")
    body = []
    for row in rows:
        ci = (f'<td class="num ci">{_span(row, "f1_ci_low")}–{_span(row, "f1_ci_high")}</td>'
              if row.f1_ci_low is not None else
              '<td class="num ci"><span data-col="f1_ci_low" data-value=""></span>'
              '<span data-col="f1_ci_high" data-value=""></span></td>')
        body.append(_row_open(row) + _rank(row) + _who(row)
                    + _td(row, "f1").replace('class="num"', 'class="num main"') + ci
                    + _td(row, "precision") + _td(row, "recall") + _td(row, "macro_f1")
                    + _td(row, "unsupported_rate") + _td(row, "parse_errors") + _td(row, "duplicates")
                    + _td(row, "failed_docs") + _td(row, "runtime_s", 2) + _td(row, "peak_mem_mb", 1) + "</tr>")
    return _table("leaderboard", head, body)


def category_table(rows: list[Any], category_gold: dict[str, int]) -> str:
    head = ("<tr><th>rank</th><th>extractor</th><th>config</th><th>regime</th>"
            + "".join(f'<th>{esc(c.replace("_", " "))}<br><small>{category_gold.get(c, 0)} gold</small></th>'
                      for c in CATEGORIES)
            + "<th>macro F1</th></tr>")
    body = [_row_open(r) + _rank(r) + _who(r) + "".join(_td(r, f"f1_{c}") for c in CATEGORIES)
            + _td(r, "macro_f1") + "</tr>" for r in rows]
    return _table("categories", head, body)


def robustness_table(data: ReportData) -> str:
    documents = [d.id for d in data.documents]
    per: dict[tuple[str, str, str, str], dict[str, Any]] = defaultdict(dict)
    for r in data.robustness:
        per[(r.extractor, r.extractor_version, r.config_hash, r.regime)][r.document] = r
    kinds = {d.id: ("original" if d.is_original else (d.perturbation or "variant")) for d in data.documents}
    head = ("<tr><th>rank</th><th>extractor</th><th>config</th><th>regime</th>"
            + "".join(f'<th class="doc">{esc(d)}<br><small>{esc(kinds[d])}</small></th>' for d in documents)
            + "<th>F1 counter&shy;factual</th><th>F1 para&shy;phrase</th><th>worst doc F1</th>"
              "<th>memo&shy;rization gap</th></tr>")
    body = []
    for row in data.rows:
        docs = per.get((row.extractor, row.extractor_version, row.config_hash, row.regime), {})
        cells = []
        for d in documents:
            item = docs.get(d)
            if item is None:
                cells.append('<td class="num na" title="not run">·</td>')
            else:
                cells.append(f'<td class="num" data-doc="{esc(d)}" data-value="{esc(csv_value(item.f1))}">'
                             f"{esc(num(item.f1))}</td>")
        body.append(_row_open(row) + _rank(row) + _who(row) + "".join(cells) + _td(row, "f1_counterfactual")
                    + _td(row, "f1_paraphrase") + _td(row, "f1_worst_doc") + _td(row, "memorization_gap")
                    + "</tr>")
    return _table("robustness", head, body)


def provenance_table(data: ReportData) -> str:
    head = ("<tr><th>extractor</th><th>version</th><th>config</th><th>config hash</th><th>newest run</th>"
            "<th>created</th><th>documents</th><th>tp / partial / fp / fn (lenient)</th></tr>")
    body = []
    for view in data.extractors:
        row = view.rows.get(DETAIL_REGIME) or next(iter(view.rows.values()))
        body.append(_row_open(row) + f'<td class="name">{esc(view.extractor)}</td><td>{esc(view.version)}</td>'
                    f"<td>{esc(view.config_label)}</td><td><code>{esc(view.config_hash)}</code></td>"
                    f'<td class="runid"><code>{esc(row.run_id)}</code></td><td>{esc(row.created_at)}</td>'
                    f'<td class="num">{esc(row.documents)}</td>'
                    f'<td class="num">{row.tp} / {row.partial} / {row.fp} / {row.fn}</td></tr>')
    return _table("provenance", head, body)


def _table(name: str, head: str, body: list[str]) -> str:
    return (f'<div class="scroll"><table class="{esc(name)}" id="table-{esc(name)}"><thead>{head}</thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


# --------------------------------------------------------------------------- facts of one extractor


def _marked(sentence: str, spans: list[tuple[int, int]], cut_before: bool, cut_after: bool) -> str:
    out, pos = [], 0
    for start, end in spans:
        out.append(esc(sentence[pos:start]))
        out.append(f"<mark>{esc(sentence[start:end])}</mark>")
        pos = end
    out.append(esc(sentence[pos:]))
    return ("… " if cut_before else "") + "".join(out).strip() + (" …" if cut_after else "")


def _quotes(text: str, sentences: Sentences, spans: list[tuple[int, int]], kind: str) -> str:
    found, more = snippets(text, spans, sentences)
    parts = [f'<blockquote class="{kind}">{_marked(*s)}</blockquote>' for s in found]
    if more:
        parts.append(f'<p class="more">+{more} more sentence{"s" if more > 1 else ""} with evidence</p>')
    return "".join(parts)


def _value_label(o: FactOutcome, value: Any) -> str:
    return f"{o.record_type}.{o.slot} = {value}"


def grouped_outcomes(view: ExtractorView) -> dict[str, dict[str, list[FactOutcome]]]:
    """document -> missed / spurious / unsupported outcomes of the detail regime, in output order."""
    out: dict[str, dict[str, list[FactOutcome]]] = defaultdict(lambda: {"missed": [], "spurious": [],
                                                                         "unsupported": []})
    for o in view.outcomes:
        if o.regime != DETAIL_REGIME:
            continue
        if o.outcome == "fn":
            out[o.doc_id]["missed"].append(o)
        elif o.outcome == "fp":
            out[o.doc_id]["unsupported" if o.unsupported else "spurious"].append(o)
    return out


def wrong_values(view: ExtractorView) -> dict[str, list[str]]:
    """fact id -> the wrong values predicted in its slot (detail regime)."""
    out: dict[str, list[str]] = defaultdict(list)
    for o in view.outcomes:
        if o.regime == DETAIL_REGIME and o.outcome == "fp" and o.fact_id and o.predicted is not None:
            out[o.fact_id].append(str(o.predicted))
    return out


def _missed_item(o: FactOutcome, text: str, sentences: Sentences, wrong: dict[str, list[str]]) -> str:
    note = ""
    if o.fact_id in wrong:
        note = ' <span class="badge wrong">wrong value predicted: ' + esc(", ".join(wrong[o.fact_id])) + "</span>"
    spans = valid_spans(o.evidence, len(text))
    quote = _quotes(text, sentences, spans, "gold") if spans else '<p class="none">no gold span</p>'
    return (f'<li class="missed"><div class="fact">{esc(_value_label(o, o.gold_value))}{note}</div>'
            f'<div class="why">{esc(o.explanation)}</div>{quote}</li>')


def _spurious_item(o: FactOutcome, text: str, sentences: Sentences) -> str:
    gold = f' <span class="gold-value">gold: {esc(o.gold_value)}</span>' if o.gold_value else ""
    badges = (' <span class="badge perr">parse error</span>' if o.parse_error else "") + (
        ' <span class="badge unsup">unsupported</span>' if o.unsupported else "")
    spans = valid_spans(o.evidence, len(text))
    if spans:
        quote = '<p class="src">predicted evidence:</p>' + _quotes(text, sentences, spans, "pred")
    else:
        where = None if o.unsupported else find_value(text, o.predicted)
        if where:
            quote = ('<p class="src">no evidence given; the value occurs here:</p>'
                     + _quotes(text, sentences, [where], "found"))
        else:
            quote = '<p class="none">no evidence given; the value occurs nowhere in the text</p>'
    line = f' <span class="line">line {o.pred_line}</span>' if o.pred_line else ""
    return (f'<li class="fp"><div class="fact">{esc(_value_label(o, o.predicted))}{gold}{badges}{line}</div>'
            f'<div class="why">{esc(o.explanation)}</div>{quote}</li>')


def extractor_section(view: ExtractorView, index: int, data: ReportData, sentences: dict[str, Sentences]) -> str:
    groups = grouped_outcomes(view)
    wrong = wrong_values(view)
    row = view.rows.get(DETAIL_REGIME) or next(iter(view.rows.values()))
    totals = {k: sum(len(g[k]) for g in groups.values()) for k in ("missed", "spurious", "unsupported")}
    badge = ' <span class="badge ref">reference</span>' if view.reference else (
        f' <span class="badge rank">rank {esc(view.rank)}</span>' if view.rank is not None else "")
    parts = [f'<section class="extractor{" reference" if view.reference else ""}" id="extractor-{index}">',
             f'<h3>{esc(view.extractor)} <small>@{esc(view.config_label)} · v{esc(view.version)}</small>{badge}</h3>',
             f'<p class="summary">{DETAIL_REGIME} F1 <b>{esc(num(row.f1))}</b> over the original documents. '
             f'All documents run: <b>{totals["missed"]}</b> missed, <b>{totals["spurious"]}</b> spurious, '
             f'<b>{totals["unsupported"]}</b> unsupported (hallucinated) values.</p>']
    for document in data.documents:
        if document.id not in groups:
            continue
        g = groups[document.id]
        text = data.texts[document.id]
        kind = "original" if document.is_original else f"{document.perturbation or 'variant'} of {document.variant_of}"
        is_open = " open" if (document.is_original and not view.reference) else ""
        parts.append(f"<details{is_open}><summary><b>{esc(document.id)}</b> <small>({esc(kind)})</small> — "
                     f'{len(g["missed"])} missed · {len(g["spurious"])} spurious · '
                     f'{len(g["unsupported"])} unsupported</summary>')
        for key, title, render in (
                ("missed", "Missed gold facts (gold span highlighted)",
                 lambda o, t=text, d=document.id: _missed_item(o, t, sentences[d], wrong)),
                ("spurious", "Spurious values (predicted evidence highlighted)",
                 lambda o, t=text, d=document.id: _spurious_item(o, t, sentences[d])),
                ("unsupported", "Unsupported values: not in the gold, not in the text",
                 lambda o, t=text, d=document.id: _spurious_item(o, t, sentences[d]))):
            items = g[key]
            if not items:
                continue
            parts.append(f'<h4 class="{key}">{esc(title)} <small>({len(items)})</small></h4><ol class="facts">'
                         + "".join(render(o) for o in items) + "</ol>")
        if not any(g.values()):
            parts.append('<p class="none">nothing missed, nothing spurious.</p>')
        parts.append("</details>")
    parts.append("</section>")
    return "".join(parts)


# --------------------------------------------------------------------------- the page

CSS = """
:root { --ink:#1d1d1f; --muted:#666; --line:#e3e3e3; --ref:#f4f4f4; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", "DejaVu Sans", Roboto, Helvetica, Arial, sans-serif;
       color: var(--ink); margin: 0; background: #fafafa; }
main { max-width: 1320px; margin: 0 auto; padding: 24px 28px 60px; background: white; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 8px; padding-top: 8px; border-top: 2px solid var(--line); }
h3 { font-size: 17px; margin: 26px 0 4px; }
h4 { font-size: 14px; margin: 14px 0 6px; }
h4.missed { color: #6b6b6b; } h4.spurious { color: #b5651d; } h4.unsupported { color: #b0243a; }
small { color: var(--muted); font-weight: normal; }
p.meta { color: var(--muted); margin: 2px 0; font-size: 13px; }
p.lead { max-width: 900px; }
nav { margin: 12px 0 0; font-size: 13px; } nav a { margin-right: 14px; }
code { font: 12px/1.3 "DejaVu Sans Mono", Menlo, Consolas, monospace; }
.scroll { overflow-x: auto; margin: 8px 0 4px; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 4px 9px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; vertical-align: bottom; position: sticky; top: 0; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.main { font-weight: 700; }
td.na { color: #bbb; text-align: center; }
td.name { font-weight: 600; max-width: 260px; overflow-wrap: anywhere; }
td.runid code { font-size: 11px; overflow-wrap: anywhere; }
th.doc { white-space: nowrap; }
tr.regime-strict td { border-top: 2px solid #cfd4da; }
tr.reference td { background: var(--ref); color: #555; font-style: italic; }
.badge { display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 11px; font-style: normal;
         font-weight: 600; vertical-align: middle; }
.badge.ref { background: #dedede; color: #444; }
.badge.rank { background: #dbeafe; color: #1e40af; }
.badge.wrong { background: #fde2e4; color: #9b1c31; }
.badge.unsup { background: #b0243a; color: white; }
.badge.perr { background: #fff3cd; color: #7a5a00; }
figure { margin: 10px 0 6px; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { color: var(--muted); font-size: 12.5px; max-width: 900px; }
details { margin: 6px 0; border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; }
summary { cursor: pointer; }
section.extractor { border-left: 4px solid #4a7bd0; padding-left: 14px; }
section.extractor.reference { border-left-color: #bbb; }
ol.facts { padding-left: 24px; margin: 4px 0; }
ol.facts li { margin: 0 0 10px; }
.fact { font-weight: 600; overflow-wrap: anywhere; }
.gold-value { color: #1b7a47; font-weight: normal; }
.why { color: var(--muted); font-size: 12.5px; overflow-wrap: anywhere; }
.line { color: var(--muted); font-weight: normal; font-size: 12px; }
blockquote { margin: 4px 0 2px; padding: 4px 10px; background: #f7f7f9; border-left: 3px solid #ccc;
             font-size: 13px; overflow-wrap: anywhere; }
blockquote.gold { border-left-color: #1b9e5a; } blockquote.pred, blockquote.found { border-left-color: #d1495b; }
mark { background: #fff176; padding: 0 1px; border-radius: 2px; }
blockquote.pred mark, blockquote.found mark { background: #ffd1d8; }
p.src, p.none, p.more { margin: 2px 0; color: var(--muted); font-size: 12px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
"""

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _figure(png: bytes | None, alt: str, caption: str) -> str:
    if png is None:
        return f'<p class="none">{esc(caption)}</p>'
    return (f'<figure><img src="{data_uri(png)}" alt="{esc(alt)}">'
            f"<figcaption>{caption}</figcaption></figure>")


def render_html(data: ReportData, images: dict[str, bytes | None]) -> str:
    originals = [d for d in data.documents if d.is_original]
    variants = [d for d in data.documents if not d.is_original]
    sentences = {d.id: Sentences(d.text) for d in data.documents}
    ranked = sum(1 for r in data.rows if r.regime == "lenient" and r.rank is not None)
    references = sum(1 for v in data.extractors if v.reference)
    unranked = len(data.extractors) - ranked - references  # no original document run yet (a partial shard)
    facts_figs = []
    for d in data.documents:
        png = images.get(f"facts_{d.id}")
        kind = "original" if d.is_original else f"{d.perturbation or 'variant'} of {d.variant_of}"
        fig = _figure(png, f"facts of {d.id} by extractor",
                      f"{esc(d.id)} ({esc(kind)}): {len(data.facts.get(d.id, []))} gold facts (rows) × extractors "
                      "(columns), strict and lenient. ✓ recovered, ½ partial credit, ✗ a wrong value in the fact's "
                      "slot, grey: missed, white: document not run. Dark lines separate gold records.")
        if d.is_original:
            facts_figs.append(fig)
        else:
            facts_figs.append(f"<details><summary>{esc(d.id)} <small>({esc(kind)})</small></summary>{fig}</details>")
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{TITLE}</title><style>{CSS}</style></head><body><main>",
        f"<h1>{TITLE}</h1>",
        f'<p class="meta">{ranked} ranked extractor configuration{"s" if ranked != 1 else ""} '
        f"and {references} reference row{'s' if references != 1 else ''}"
        + (f" ({unranked} not ranked: no original document run)" if unranked else "") +
        f" · {len(originals)} original document{'s' if len(originals) != 1 else ''}"
        f" and {len(variants)} variant{'s' if len(variants) != 1 else ''}"
        f" · gold sha256 <code>{esc(data.gold_sha256[:16])}…</code> · factbench {esc(data.factbench_version)}</p>",
        '<p class="lead">Every number is rebuilt from the runs folder on the current gold, exactly as '
        "<code>leaderboard.csv</code> is. Main metrics cover the original documents; variants feed the "
        "robustness view. Rank comes from lenient F1; reference rows (oracle, empty) bound the scale and are "
        "never ranked. Intervals are 95% percentile bootstrap intervals over gold records.</p>",
        '<nav><a href="#leaderboard">Leaderboard</a><a href="#categories">Categories</a><a href="#facts">Facts</a>'
        '<a href="#robustness">Robustness</a><a href="#extractors">Extractors</a></nav>',
        '<h2 id="leaderboard">Leaderboard</h2>',
        leaderboard_table(data.rows),
        '<h2 id="categories">F1 per category</h2>',
        _figure(images.get("category_f1"), "F1 per category and extractor with 95% bootstrap intervals",
                "Micro F1 per category on the original documents, one bar per extractor; whiskers are 95% "
                "bootstrap intervals. Hatched grey bars are reference rows. A dash marks a category without "
                "gold (an empty cell, never 0)."),
        category_table(data.rows, data.category_gold),
        '<h2 id="facts">Facts × extractors</h2>',
        *facts_figs,
        '<h2 id="robustness">Robustness: original vs variants</h2>',
        _figure(images.get("robustness"), "F1 per document: originals and their variants",
                "F1 of each extractor on each original document (●) and on each of its variants (▲ "
                "counterfactual, ■ paraphrase), joined by a line. A long line to the left means the extractor "
                "relies on the real-world facts rather than reading the text."),
        robustness_table(data),
        '<h2 id="extractors">Extractors: what each one missed and invented</h2>',
        f'<p class="lead">Outcomes of the {DETAIL_REGIME} regime. <b>Missed</b>: a gold fact not recovered, '
        "with its gold span highlighted in its sentence. <b>Spurious</b>: a predicted value that earned no "
        "credit, with the predicted evidence where given. <b>Unsupported</b>: a spurious value equal to no gold "
        "value whose string occurs nowhere in the text (a hallucination).</p>",
        *(extractor_section(v, i, data, sentences) for i, v in enumerate(data.extractors, start=1)),
        '<h2 id="provenance">Provenance</h2>',
        provenance_table(data),
        f'<footer>Generated by <code>factbench report</code> (factbench {esc(data.factbench_version)}) from the '
        f"runs folder; gold sha256 <code>{esc(data.gold_sha256)}</code>. No network resources: images are "
        "embedded.</footer>",
        "</main></body></html>",
    ]
    return "\n".join(body) + "\n"


# --------------------------------------------------------------------------- Markdown

_MD_SPECIAL = "\\`*_[]|#"


def md_inline(value: Any) -> str:
    """Markdown-safe text: whitespace runs to one space, HTML-escaped, Markdown punctuation escaped."""
    text = re.sub(r"\s+", " ", "" if value is None else str(value))
    text = html.escape(text, quote=False)
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text)


def md(value: Any) -> str:
    return md_inline(value).strip()


def _md_table(headers: list[str], rows: Iterable[list[str]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _md_quote(text: str, sentences: Sentences, spans: list[tuple[int, int]]) -> str:
    found, _ = snippets(text, spans, sentences, limit=1)
    if not found:
        return ""
    sentence, marks, before, after = found[0]
    out, pos = [], 0
    for start, end in marks:
        out.append(md_inline(sentence[pos:start]) + "<mark>" + md_inline(sentence[start:end]) + "</mark>")
        pos = end
    out.append(md_inline(sentence[pos:]))
    return ("… " if before else "") + "".join(out).strip() + (" …" if after else "")


def render_markdown(data: ReportData, files: dict[str, str], per_list: int = 8) -> str:
    sentences = {d.id: Sentences(d.text) for d in data.documents}
    out = [f"# {TITLE}", "",
           f"gold sha256 `{data.gold_sha256[:16]}…` · factbench {md(data.factbench_version)} · "
           f"{sum(d.is_original for d in data.documents)} original document(s), "
           f"{sum(not d.is_original for d in data.documents)} variant(s). The full page with every fact is "
           "`index.html` beside this file.", "", "## Leaderboard", ""]

    def who(r: Any) -> list[str]:
        rank = "ref" if r.reference else md(r.rank)
        name = md(r.extractor) + (" *(reference)*" if r.reference else "")
        return [rank, name, md(r.config_label), md(r.regime)]

    def scores(r: Any) -> list[str]:
        f1 = f"**{num(r.f1)}**" if r.f1 is not None else ""
        ci = f"{num(r.f1_ci_low)}–{num(r.f1_ci_high)}" if r.f1_ci_low is not None else ""
        return [f1, ci, num(r.precision), num(r.recall), num(r.macro_f1), num(r.unsupported_rate), str(r.failed_docs)]

    out.append(_md_table(
        ["rank", "extractor", "config", "regime", "F1", "95% CI", "P", "R", "macro F1", "unsupported", "failed"],
        ([*who(r), *scores(r)] for r in data.rows)))
    out += ["", "## F1 per category", ""]
    if files.get("category_f1"):
        out += [f"![F1 per category with 95% bootstrap intervals]({files['category_f1']})", ""]
    out.append(_md_table(["rank", "extractor", "config", "regime", *CATEGORIES, "macro F1"],
                         ([*who(r), *(num(getattr(r, f"f1_{c}")) for c in CATEGORIES), num(r.macro_f1)]
                          for r in data.rows)))
    out += ["", "## Facts × extractors", "",
            "✓ recovered · ½ partial · ✗ wrong value in the fact's slot · grey: missed · white: not run.", ""]
    for d in data.documents:
        key = f"facts_{d.id}"
        if files.get(key):
            out += [f"![facts of {md(d.id)}]({files[key]})", ""]
    out += ["## Robustness", ""]
    if files.get("robustness"):
        out += [f"![F1 on originals and variants]({files['robustness']})", ""]
    out.append(_md_table(["rank", "extractor", "config", "regime", "F1", "F1 counterfactual", "F1 paraphrase",
                          "worst doc F1", "memorization gap"],
                         ([*who(r), num(r.f1), num(r.f1_counterfactual), num(r.f1_paraphrase), num(r.f1_worst_doc),
                           num(r.memorization_gap)] for r in data.rows)))
    out += ["", f"## Extractors ({DETAIL_REGIME} regime)", ""]
    for view in data.extractors:
        groups = grouped_outcomes(view)
        title = md(view.column) + (" *(reference)*" if view.reference else "")
        out += [f"### {title}", ""]
        out.append(_md_table(["document", "missed", "spurious", "unsupported"],
                             ([md(d.id), str(len(groups[d.id]["missed"])), str(len(groups[d.id]["spurious"])),
                               str(len(groups[d.id]["unsupported"]))] for d in data.documents if d.id in groups)))
        out.append("")
        if view.reference:
            continue
        for d in data.documents:
            if d.id not in groups or not d.is_original:
                continue
            text = data.texts[d.id]
            for key, heading in (("missed", "Missed"), ("spurious", "Spurious"), ("unsupported", "Unsupported")):
                items = groups[d.id][key]
                if not items:
                    continue
                out.append(f"**{heading} in {md(d.id)}** ({len(items)}):")
                out.append("")
                for o in items[:per_list]:
                    value = o.gold_value if key == "missed" else o.predicted
                    spans = valid_spans(o.evidence, len(text))
                    quote = _md_quote(text, sentences[d.id], spans) if spans else ""
                    gold = f" (gold {md(o.gold_value)})" if key != "missed" and o.gold_value else ""
                    out.append(f"- {md(o.record_type)}.{md(o.slot)} = {md(value)}{gold}"
                               + (f": {quote}" if quote else ""))
                if len(items) > per_list:
                    out.append(f"- … {len(items) - per_list} more in index.html")
                out.append("")
    return "\n".join(out).rstrip() + "\n"
