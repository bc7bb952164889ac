"""`factbench report`: a page people would rather look at than read, from a runs folder.

    factbench report [--runs DIR] [--out DIR] [--gold PATH]

writes into OUT (default RUNS/report):

    index.html           one self-contained page: tables, figures as embedded PNGs, every
                         missed / spurious / unsupported fact with its sentence
    report.md            a Markdown summary referring to the PNGs beside it
    category_f1.png      F1 per category and extractor, 95% bootstrap intervals, both regimes
    facts_<doc>.png      gold facts x extractors: recovered / partial / wrong / missed
    robustness.png       F1 on each original document vs each of its variants

The numbers are rebuilt from the runs with `benchmark.leaderboard.build` (the code behind
leaderboard.csv), never copied by hand. The same runs and gold give byte-identical files: no
clock, no random state, fixed matplotlib settings, PNGs without a `Software` chunk. The page
loads nothing from the network, and its Content-Security-Policy forbids it to.
"""

from __future__ import annotations

import sys
from pathlib import Path

from benchmark.errors import BadInput

# Figures this command owns in its output folder; stale ones (a document since removed) are deleted.
OWNED_PNG = ("category_f1.png", "robustness.png", "facts_*.png")


def _png_name(key: str) -> str:
    from benchmark.runs import safe_part

    if key.startswith("facts_"):
        return "facts_" + safe_part(key[len("facts_"):], 100) + ".png"
    return safe_part(key) + ".png"


def build_report(runs: Path, out: Path, gold_path: str | None = None, seed: int = 0) -> dict[str, Path]:
    """Write the report; returns {"html", "markdown", figure keys...} -> path."""
    from benchmark.report_plots import category_figure, facts_figure, require_matplotlib, robustness_figure

    require_matplotlib()
    if not runs.is_dir():
        raise BadInput(f"{runs}: no such runs folder")
    from benchmark.report_data import gather
    from benchmark.report_render import render_html, render_markdown
    from benchmark.runs import atomic_write

    data = gather(runs, gold_path, seed)
    if not data.rows:
        raise BadInput(f"{runs}: no complete runs to report on (factbench run --out {runs})")
    images: dict[str, bytes | None] = {"category_f1": category_figure(data)}
    for document in data.documents:
        images[f"facts_{document.id}"] = facts_figure(data, document.id)
    images["robustness"] = robustness_figure(data)

    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    files: dict[str, str] = {}
    for key, png in images.items():
        if png is None:
            continue
        name = _png_name(key)
        atomic_write(out / name, png)
        written[key] = out / name
        files[key] = name
    keep = {p.name for p in written.values()}
    for pattern in OWNED_PNG:
        for stale in out.glob(pattern):
            if stale.name not in keep and stale.is_file():
                stale.unlink()
    atomic_write(out / "index.html", render_html(data, images).encode("utf-8"))
    atomic_write(out / "report.md", render_markdown(data, files).encode("utf-8"))
    written["html"] = out / "index.html"
    written["markdown"] = out / "report.md"
    return written


def report_command(args) -> int:
    runs = Path(args.runs)
    out = Path(args.out) if getattr(args, "out", None) else runs / "report"
    written = build_report(runs, out, getattr(args, "gold", None), getattr(args, "seed", 0))
    print(f"wrote {written['html']} and {written['markdown']} "
          f"(+{len(written) - 2} figure{'s' if len(written) != 3 else ''})", file=sys.stdout)
    return 0
