"""`factbench report`: the HTML page and Markdown summary agree with leaderboard.csv, show the
evidence, escape hostile inputs, are byte-identical run to run, and render in a real browser."""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = "<script>alert(1)</script>"
HOSTILE_LABEL = "<img src=x onerror=alert(2)>"

PLUGINS = textwrap.dedent('''
    from benchmark.extractor import Extractor

    class Partial(Extractor):
        """Some facts right, one partial, wrong values, a hallucination, a value with markup."""
        name = "partial"
        version = "0.1"

        def extract(self, document):
            return [
                {"type": "meeting", "slots": {"date": "2021-02-17", "participants": ["Putin", "Pashinyan"]}},
                {"type": "agreement", "slots": {"date": "2020-11", "signatories": ["Putin", "Aliyev", "Biden"]},
                 "evidence": [[1832, 1848]]},
                {"type": "office_holder", "slots": {"person": "Putin", "office": "President"}},
                {"type": "conflict_event", "slots": {"date": "September 27", "parties": ["Azerbaijan", "Armenia"]}},
                {"type": "deployment", "slots": {"force": "peacekeepers", "country": "Turkey",
                                                 "locations": ["Atlantis <b>City</b>"]},
                 "evidence": [[2190, 2210]]},
            ]

    class Hostile(Partial):
        name = "<script>alert(1)</script>"
        version = "0.1"

        def config_label(self):
            return "<img src=x onerror=alert(2)>"

        def extract(self, document):
            return super().extract(document)[:2]
''')


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """oracle + empty + a hand-made partial plugin + a plugin with a hostile name, on every document."""
    base = tmp_path_factory.mktemp("report")
    plugins = base / "plugins.py"
    plugins.write_text(PLUGINS, encoding="utf-8")
    out = base / "runs"
    result = subprocess.run(
        [sys.executable, "-m", "benchmark.cli", "run", "-e", "oracle", "-e", "empty", "-e", f"{plugins}:Partial",
         "-e", f"{plugins}:Hostile", "--documents", "all", "--out", str(out)],
        capture_output=True, text=True, timeout=600, cwd=ROOT, env={**os.environ})
    assert result.returncode == 0, result.stderr
    return out


@pytest.fixture(scope="module")
def report(runs: Path) -> Path:
    from benchmark.report import build_report

    out = runs / "report"
    build_report(runs, out)
    return out


class Tables(HTMLParser):
    """Rows of every table: (table id, tr attributes, [(cell attributes incl. nested spans, text)])."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.table: str | None = None
        self.rows: list[tuple[str, dict[str, str], list[tuple[dict[str, str], str]]]] = []
        self.cell: list | None = None
        self.span: list | None = None
        self.images: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "table":
            self.table = a.get("id", "")
        elif tag == "tr" and self.table is not None:
            self.rows.append((self.table, a, []))
        elif tag in ("td", "th") and self.table is not None and self.rows:
            self.cell = [a, ""]
            self.rows[-1][2].append(self.cell)
        elif tag == "span" and self.cell is not None and "data-col" in a:
            self.span = [a, ""]  # a nested value (the CI's low and high)
            self.rows[-1][2].append(self.span)
        elif tag == "img":
            self.images.append(a.get("src", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.table = None
        elif tag in ("td", "th"):
            self.cell = None
        elif tag == "span":
            self.span = None

    def handle_data(self, data: str) -> None:
        if self.span is not None:
            self.span[1] += data
        elif self.cell is not None:
            self.cell[1] += data


def parse(page: str) -> Tables:
    parser = Tables()
    parser.feed(page)
    return parser


def table_rows(parsed: Tables, table: str) -> dict[tuple[str, str, str, str], dict[str, tuple[str, str]]]:
    """(extractor, version, config hash, regime) -> data-col -> (data-value, shown text)."""
    out = {}
    for name, attrs, cells in parsed.rows:
        if name != table or "data-regime" not in attrs:
            continue
        key = (attrs["data-extractor"], attrs["data-version"], attrs["data-config"], attrs["data-regime"])
        out[key] = {a["data-col"]: (a["data-value"], text.strip()) for a, text in cells if "data-col" in a}
    return out


def shown(value: str, digits: int = 3) -> str:
    if value == "":
        return ""
    return str(int(value)) if re.fullmatch(r"-?\d+", value) else f"{float(value):.{digits}f}"


# --------------------------------------------------------------------------- content


def test_report_writes_page_summary_and_figures(runs: Path, report: Path) -> None:
    names = {p.name for p in report.iterdir()}
    assert {"index.html", "report.md", "category_f1.png", "robustness.png"} <= names
    assert "facts_tass-2021-02-17.png" in names
    page = (report / "index.html").read_text(encoding="utf-8")
    assert "http://" not in page.replace("http-equiv", "") and "https://" not in page  # nothing from the network
    assert "<script" not in page.lower()


def test_tables_hold_the_numbers_of_leaderboard_csv(runs: Path, report: Path) -> None:
    csv_rows = read_csv(runs / "leaderboard.csv")
    assert {r["extractor"] for r in csv_rows} == {"oracle", "empty", "partial", HOSTILE}
    parsed = parse((report / "index.html").read_text(encoding="utf-8"))
    leaderboard = table_rows(parsed, "table-leaderboard")
    categories = table_rows(parsed, "table-categories")
    robustness = table_rows(parsed, "table-robustness")
    assert len(leaderboard) == len(csv_rows) == 8
    digits = {"runtime_s": 2, "peak_mem_mb": 1}
    for row in csv_rows:
        key = (row["extractor"], row["extractor_version"], row["config_hash"], row["regime"])
        cells = leaderboard[key]
        for col in ("f1", "precision", "recall", "f1_ci_low", "f1_ci_high", "macro_f1", "unsupported_rate",
                    "parse_errors", "duplicates", "failed_docs", "runtime_s", "peak_mem_mb"):
            assert cells[col][0] == row[col], (key, col)
            assert cells[col][1] == shown(row[col], digits.get(col, 3)), (key, col)
        for col in [c for c in row if c.startswith("f1_") and c not in ("f1_ci_low", "f1_ci_high")]:
            table = categories if col in categories[key] else robustness
            assert table[key][col][0] == row[col], (key, col)
        if row["reference"] == "true":
            assert "rank" not in cells  # references carry a badge, never a rank
        else:
            assert cells["rank"][0] == row["rank"]


def test_partial_run_scores_between_the_references(runs: Path, report: Path) -> None:
    rows = {(r["extractor"], r["regime"]): r for r in read_csv(runs / "leaderboard.csv")}
    assert 0 < float(rows[("partial", "lenient")]["f1"]) < 1
    md = (report / "report.md").read_text(encoding="utf-8")
    for name in ("oracle", "empty", "partial"):
        f1 = f"{float(rows[(name, 'lenient')]['f1']):.3f}"
        assert re.search(rf"^\| [^|]* \| {name}[^|]* \| default \| lenient \| \*\*{f1}\*\* \|", md, re.M), name
    assert "oracle *(reference)*" in md


def _section(page: str, extractor: str) -> str:
    start = page.index(f"<h3>{html.escape(extractor)} <small>")
    return page[start:page.index("</section>", start)]


def test_missed_facts_highlight_the_gold_span(runs: Path, report: Path) -> None:
    from benchmark.gold import load_gold

    gold = load_gold().documents["tass-2021-02-17"]
    value = next(v for v in gold.facts() if v.record_type == "meeting" and v.slot == "duration")
    span = value.evidence[0]
    quote = gold.document.text[span.start:span.end]
    section = _section((report / "index.html").read_text(encoding="utf-8"), "partial")
    item = re.search(r'<li class="missed"><div class="fact">meeting\.duration = PT4H.*?</li>', section)
    assert item, "the partial run misses the summit's duration"
    assert f"<mark>{html.escape(quote)}</mark>" in item.group()
    # a wrong value is named beside the gold fact it displaced; a spurious one shows its evidence
    assert "wrong value predicted: Turkey" in section
    spurious = re.search(r'<li class="fp"><div class="fact">deployment\.country = Turkey.*?</li>', section).group()
    predicted = gold.document.text[2190:2210]
    assert f"<mark>{html.escape(predicted)}</mark>" in spurious and 'class="badge unsup"' in spurious
    no_year = re.search(r'<li class="fp"><div class="fact">conflict_event\.date = September 27.*?</li>', section)
    assert "<mark>September 27</mark>" in no_year.group()  # no evidence given: found in the text instead


def test_hostile_names_and_values_are_escaped(report: Path) -> None:
    page = (report / "index.html").read_text(encoding="utf-8")
    assert HOSTILE not in page and HOSTILE_LABEL not in page and "<b>City</b>" not in page
    assert html.escape(HOSTILE) in page and html.escape(HOSTILE_LABEL) in page
    assert "Atlantis &lt;b&gt;City&lt;/b&gt;" in page
    assert 'data-extractor="&lt;script&gt;alert(1)&lt;/script&gt;"' in page
    md = (report / "report.md").read_text(encoding="utf-8")
    assert HOSTILE not in md and HOSTILE_LABEL not in md and "<b>" not in md
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in md


def test_the_same_runs_give_the_same_bytes(runs: Path, report: Path, tmp_path: Path) -> None:
    from benchmark.report import build_report

    again = tmp_path / "again"
    build_report(runs, again)
    first = {p.name: p.read_bytes() for p in report.iterdir()}
    second = {p.name: p.read_bytes() for p in again.iterdir()}
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_images_are_embedded_pngs_without_software_chunk(report: Path) -> None:
    page = (report / "index.html").read_text(encoding="utf-8")
    sources = parse(page).images
    assert len(sources) >= 3
    files = {p.read_bytes() for p in report.glob("*.png")}
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        data = base64.b64decode(src.split(",", 1)[1], validate=True)
        width, height = _png_size(data)
        assert width > 100 and height > 100
        assert b"Software" not in data and b"matplotlib" not in data
        assert data in files  # the Markdown summary's PNGs are the same bytes
    md = (report / "report.md").read_text(encoding="utf-8")
    for name in re.findall(r"!\[[^\]]*\]\(([^)]+)\)", md):
        assert (report / name).is_file(), name


def test_fact_labels_are_readable_and_unambiguous(runs: Path) -> None:
    from benchmark.report_data import gather

    data = gather(runs)
    labels = [f.label for f in data.facts["tass-2021-02-17"]]
    assert "meeting.date = 2021-01-11" in labels and "meeting.location = Moscow" in labels
    assert len(labels) == len(set(labels))  # two meetings' participants: the record id tells them apart
    assert "meeting.participants = Vladimir Putin  [summit-2021-01-11]" in labels
    # the grid's states come from build()'s matrix, refined: a wrong value is not just a miss
    partial = next(v.column for v in data.extractors if v.extractor == "partial")
    country = "tass-2021-02-17/deployment-peacekeepers/country"
    assert data.cells[(country, "lenient", partial)] == "wrong"
    assert data.cells[("tass-2021-02-17/summit-2021-01-11/duration", "lenient", partial)] == "missed"
    assert data.cells[("tass-2021-02-17/office-putin/office", "lenient", partial)] == "partial"
    assert data.cells[("tass-2021-02-17/office-putin/person", "strict", partial)] == "recovered"


def test_missing_matplotlib_names_the_pip_line(runs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from benchmark.errors import MissingDependency
    from benchmark.report import build_report

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # `import matplotlib` now raises ImportError
    with pytest.raises(MissingDependency, match=re.escape("pip install 'factbench[report]'")):
        build_report(runs, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_cli_report_default_folder_and_bad_runs(runs: Path, tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "benchmark.cli", "report", "--runs", str(runs)],
                            capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert (runs / "report" / "index.html").is_file() and "index.html" in result.stdout
    missing = subprocess.run([sys.executable, "-m", "benchmark.cli", "report", "--runs", str(tmp_path / "nope")],
                             capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert missing.returncode == 2 and "no such runs folder" in missing.stderr


# --------------------------------------------------------------------------- a real browser

PROBE = ("window.addEventListener('load', function () {"
         " var widths = Array.prototype.map.call(document.images, function (i) { return i.naturalWidth; });"
         " document.body.setAttribute('data-probe', JSON.stringify(widths)); });")


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed")
def test_page_renders_in_headless_chromium(runs: Path, report: Path, tmp_path: Path) -> None:
    """Images decode and the tables hold leaderboard.csv's numbers, in Chromium, under the page's own CSP
    (the probe script is allowed by its hash only: the page itself runs no script)."""
    page = (report / "index.html").read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(PROBE.encode()).digest()).decode()
    csp = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
    assert csp in page
    probed = page.replace(csp, f"{csp}; script-src 'sha256-{digest}'").replace(
        "</body>", f"<script>{PROBE}</script></body>")
    target = tmp_path / "probe.html"
    target.write_text(probed, encoding="utf-8")
    result = subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=10000", "--dump-dom",
         target.as_uri()], capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    dom = result.stdout
    probe = re.search(r'data-probe="([^"]*)"', dom)
    assert probe, "the load event never fired"
    widths = json.loads(html.unescape(probe.group(1)))
    assert len(widths) == len(parse(page).images) >= 3 and all(w > 0 for w in widths), widths
    leaderboard = table_rows(parse(dom), "table-leaderboard")
    for row in read_csv(runs / "leaderboard.csv"):
        cells = leaderboard[(row["extractor"], row["extractor_version"], row["config_hash"], row["regime"])]
        assert cells["f1"] == (row["f1"], shown(row["f1"]))
        assert cells["recall"] == (row["recall"], shown(row["recall"]))
