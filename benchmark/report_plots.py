"""The report's figures, drawn with matplotlib's Agg canvas and returned as PNG bytes.

Deterministic by construction: matplotlib's defaults plus fixed rcParams (never the user's
matplotlibrc or style), a fixed `svg.hashsalt`, no pyplot global state, and PNGs saved without
the `Software` text chunk (Agg writes no timestamp), so the same runs give the same bytes.
Every label passes through `_tex_safe`: a `$` in an extractor name must not turn on mathtext.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from benchmark.errors import MissingDependency
from benchmark.report_data import CELL_STATES, MISSED, NOT_RUN, PARTIAL, RECOVERED, WRONG, ReportData
from benchmark.types import CATEGORIES, REGIMES

MISSING = "matplotlib is not installed: pip install 'factbench[report]'"

RC: dict[str, Any] = {
    "svg.hashsalt": "factbench-report",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "text.usetex": False,
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.titleweight": "bold",
    "axes.labelsize": 9.0,
    "xtick.labelsize": 8.5,
    "ytick.labelsize": 8.5,
    "legend.fontsize": 8.5,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.axisbelow": True,
    "figure.dpi": 100.0,
    "savefig.dpi": 100.0,
    "savefig.facecolor": "white",
    "figure.facecolor": "white",
    "image.interpolation": "nearest",
    "image.resample": False,
    "path.simplify": False,
    "hatch.linewidth": 0.8,
}
DPI = 100

# Okabe-Ito, readable by colour-blind readers; references are greys.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
REFERENCE_GREYS = ("#7f7f7f", "#c7c7c7", "#a3a3a3", "#e0e0e0")
CELL_COLOURS = {RECOVERED: "#1b9e5a", PARTIAL: "#f2b134", WRONG: "#d1495b", MISSED: "#d9d9d9", NOT_RUN: "#ffffff"}
CELL_GLYPHS = {RECOVERED: "✓", PARTIAL: "½", WRONG: "✗", MISSED: "", NOT_RUN: ""}
GLYPH_MARKERS = {RECOVERED: "$✓$", PARTIAL: "$½$", WRONG: "$✗$"}
VARIANT_STYLE = {"counterfactual": ("^", "#D55E00"), "paraphrase": ("s", "#0072B2")}


def require_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        raise MissingDependency(MISSING) from exc


@contextmanager
def _style() -> Iterator[Any]:
    """matplotlib's defaults plus RC, whatever the user's matplotlibrc says; restored afterwards."""
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise MissingDependency(MISSING) from exc
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        matplotlib.rcParams.update(RC)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # missing glyphs in exotic names must not spam stderr

            def new_figure(width: float, height: float) -> Any:
                fig = Figure(figsize=(width, height), dpi=DPI)
                FigureCanvasAgg(fig)
                return fig

            yield new_figure


def png_bytes(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue()


def _tex_safe(text: str) -> str:
    return str(text).replace("\\", "\\\\").replace("$", r"\$")


def extractor_styles(data: ReportData) -> dict[str, tuple[str, str]]:
    """column -> (colour, hatch); references grey and hatched."""
    out: dict[str, tuple[str, str]] = {}
    normal = refs = 0
    for view in data.extractors:
        if view.reference:
            out[view.column] = (REFERENCE_GREYS[refs % len(REFERENCE_GREYS)], "///")
            refs += 1
        else:
            out[view.column] = (PALETTE[normal % len(PALETTE)], "")
            normal += 1
    return out


def legend_name(view: Any) -> str:
    return _tex_safe(view.column + ("  (reference)" if view.reference else ""))


def _row_major(handles: list[Any], labels: list[str], ncol: int) -> tuple[list[Any], list[str]]:
    """matplotlib fills legend columns first; reorder (and pad) so it reads left to right, row by row."""
    from matplotlib.patches import Patch

    rows = -(-len(handles) // ncol) if handles else 0
    cells: list[tuple[Any, str]] = [(Patch(visible=False), "")] * (rows * ncol)
    for k, item in enumerate(zip(handles, labels)):
        row, col = divmod(k, ncol)
        cells[col * rows + row] = item
    return [h for h, _ in cells], [label for _, label in cells]


# --------------------------------------------------------------------------- category F1


def category_figure(data: ReportData) -> bytes:
    """Per category, one bar per extractor with its 95% bootstrap interval; a panel per regime."""
    styles = extractor_styles(data)
    views = data.extractors
    n = max(1, len(views))
    with _style() as new_figure:
        fig = new_figure(12.0, 7.4)
        axes = fig.subplots(len(REGIMES), 1, sharex=True)
        width = 0.84 / n
        for ax, regime in zip(axes, REGIMES):
            for i, view in enumerate(views):
                row = view.rows.get(regime)
                colour, hatch = styles[view.column]
                for c, category in enumerate(CATEGORIES):
                    x = c - 0.42 + width * (i + 0.5)
                    f1 = getattr(row, f"f1_{category}", None) if row is not None else None
                    if f1 is None:
                        ax.text(x, 0.02, "–", ha="center", va="bottom", fontsize=7, color="#666666")
                        continue
                    if f1 == 0:  # a bar of height 0 is invisible: say 0 instead
                        ax.text(x, 0.01, "0", ha="center", va="bottom", fontsize=7, color="#555555")
                    ax.bar(x, f1, width=width * 0.92, color=colour, hatch=hatch, edgecolor="#333333",
                           linewidth=0.5, label=legend_name(view) if c == 0 else None)
                    ci = view.category_ci.get(regime, {}).get(category)
                    if ci is not None:
                        low, high = ci
                        ax.errorbar(x, f1, yerr=[[max(0.0, f1 - low)], [max(0.0, high - f1)]], fmt="none",
                                    ecolor="#222222", elinewidth=0.9, capsize=2.0)
            ax.set_ylim(0, 1.08)
            ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
            ax.set_ylabel("F1")
            ax.grid(axis="y", color="#e5e5e5", linewidth=0.6)
            ax.set_title(f"{regime} regime", loc="left")
            ax.set_xlim(-0.5, len(CATEGORIES) - 0.5)
        axes[-1].set_xticks(range(len(CATEGORIES)))
        axes[-1].set_xticklabels([f"{c.replace('_', ' ')}\n({data.category_gold.get(c, 0)} gold facts)"
                                  for c in CATEGORIES])
        handles, labels = axes[0].get_legend_handles_labels()
        if not handles:
            handles, labels = axes[1].get_legend_handles_labels()
        ncol = min(4, max(1, len(handles)))
        handles, labels = _row_major(handles, labels, ncol)
        fig.legend(handles, labels, loc="upper center", ncol=ncol, bbox_to_anchor=(0.5, 0.995))
        rows_of_legend = (n + 3) // 4
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.09, top=0.93 - 0.035 * (rows_of_legend - 1),
                            hspace=0.25)
        return png_bytes(fig)


# --------------------------------------------------------------------------- facts grid


def facts_figure(data: ReportData, document: str) -> bytes:
    """Facts (rows) x extractors (columns), one panel per regime: recovered, partial, wrong, missed."""
    facts = data.facts.get(document, [])
    views = data.extractors
    columns = [v.column for v in views]
    n_rows, n_cols = max(1, len(facts)), max(1, len(columns))
    longest_label = max((len(f.label) for f in facts), default=10)
    longest_column = max((len(v.column) + (6 if v.reference else 0) for v in views), default=4)
    label_in = min(5.0, 0.4 + 0.068 * longest_label)
    cell_w, cell_h = 0.42, 0.23
    head_in = min(3.0, 0.55 + 0.062 * longest_column * 0.82)
    width = label_in + len(REGIMES) * n_cols * cell_w + 0.5 * len(REGIMES) + 0.3
    height = 0.35 + head_in + n_rows * cell_h + 0.7
    codes = {state: i for i, state in enumerate(CELL_STATES)}
    with _style() as new_figure:
        from matplotlib.colors import BoundaryNorm, ListedColormap
        from matplotlib.patches import Patch

        fig = new_figure(max(width, 7.5), height)
        cmap = ListedColormap([CELL_COLOURS[s] for s in CELL_STATES])
        norm = BoundaryNorm([i - 0.5 for i in range(len(CELL_STATES) + 1)], cmap.N)
        left = label_in / fig.get_figwidth()
        panel = n_cols * cell_w / fig.get_figwidth()
        gap = 0.5 / fig.get_figwidth()
        bottom = 0.7 / height
        top_frac = n_rows * cell_h / height
        for p, regime in enumerate(REGIMES):
            ax = fig.add_axes((left + p * (panel + gap), bottom, panel, top_frac))
            grid = [[codes[data.cells.get((f.fact_id, regime, col), NOT_RUN)] for col in columns] or [0]
                    for f in facts] or [[codes[NOT_RUN]]]
            ax.imshow(grid, cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
            for state, marker in GLYPH_MARKERS.items():  # one collection per state: fast, same on every run
                points = [(c, r) for r, fact in enumerate(facts) for c, col in enumerate(columns)
                          if data.cells.get((fact.fact_id, regime, col), NOT_RUN) == state]
                if points:
                    ax.scatter([p[0] for p in points], [p[1] for p in points], marker=marker, s=38, linewidths=0,
                               color="#222222" if state == PARTIAL else "white", zorder=3)
            ax.set_xticks([x - 0.5 for x in range(1, n_cols)], minor=True)
            ax.set_yticks([y - 0.5 for y in range(1, n_rows)], minor=True)
            ax.grid(which="minor", color="white", linewidth=1.2)
            ax.tick_params(which="minor", length=0)
            for r in range(1, len(facts)):  # a darker line between records
                if facts[r].record_id != facts[r - 1].record_id:
                    ax.axhline(r - 0.5, color="#555555", linewidth=0.9)
            for side in ("top", "right", "left", "bottom"):
                ax.spines[side].set_visible(True)
                ax.spines[side].set_color("#888888")
            ax.xaxis.tick_top()
            ax.set_xticks(range(len(columns)))
            ax.set_xticklabels([_tex_safe(v.column + (" (ref)" if v.reference else "")) for v in views],
                               rotation=55, ha="left", rotation_mode="anchor", fontsize=8.5)
            ax.set_xlim(-0.5, n_cols - 0.5)
            ax.set_ylim(n_rows - 0.5, -0.5)
            fig.text(left + p * (panel + gap) + panel / 2, 1 - 0.12 / height, f"{regime}", ha="center", va="top",
                     fontsize=10, fontweight="bold")
            if p == 0:
                ax.set_yticks(range(len(facts)))
                ax.set_yticklabels([_tex_safe(f.label) for f in facts], fontsize=8.5)
            else:
                ax.set_yticks([])
        handles = [Patch(facecolor=CELL_COLOURS[s], edgecolor="#888888",
                         label=f"{CELL_GLYPHS[s]} {s}".strip()) for s in CELL_STATES]
        fig.legend(handles=handles, loc="lower left", ncol=len(handles), bbox_to_anchor=(0.01, 0.0),
                   handlelength=1.2, columnspacing=1.2)
        return png_bytes(fig)


# --------------------------------------------------------------------------- robustness


def robustness_figure(data: ReportData) -> bytes | None:
    """Per extractor: F1 on each original document and on each of its variants; a panel per regime."""
    rows = data.robustness
    if not rows:
        return None
    by_key: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in rows:
        by_key.setdefault((row.extractor, row.extractor_version, row.config_hash, row.regime), {})[row.document] = row
    views = data.extractors
    n = max(1, len(views))
    with _style() as new_figure:
        fig = new_figure(12.0, 1.2 + 0.55 * n)
        axes = fig.subplots(1, len(REGIMES), sharey=True)
        for ax, regime in zip(axes, REGIMES):
            for y, view in enumerate(views):
                docs = by_key.get((view.extractor, view.version, view.config_hash, regime), {})
                variants = sorted((r for r in docs.values() if r.variant_of), key=lambda r: r.document)
                step = min(0.16, 0.5 / max(1, len(variants)))  # originals on the row's line, variants below
                for k, var in enumerate(variants):
                    dy = step * (k + 1) - (0.08 if variants else 0.0)
                    marker, colour = VARIANT_STYLE.get(var.perturbation, ("D", "#CC79A7"))
                    base = docs.get(var.variant_of)
                    if base is not None and base.f1 is not None and var.f1 is not None:
                        ax.plot([base.f1, base.f1, var.f1], [y - 0.08, y + dy, y + dy], color="#bbbbbb",
                                linewidth=1.2, zorder=1)
                    if var.f1 is not None:
                        ax.scatter([var.f1], [y + dy], marker=marker, color=colour, s=34, zorder=3,
                                   edgecolors="white", linewidths=0.5)
                for row in docs.values():
                    if not row.variant_of and row.f1 is not None:
                        ax.scatter([row.f1], [y - 0.08], marker="o", color="#222222", s=40, zorder=4,
                                   edgecolors="white", linewidths=0.6)
            ax.set_xlim(-0.03, 1.03)
            ax.set_ylim(n - 0.5, -0.5)
            ax.grid(axis="x", color="#e5e5e5", linewidth=0.6)
            ax.set_xlabel("F1 per document")
            ax.set_title(f"{regime} regime", loc="left")
            for y in range(1, n):
                ax.axhline(y - 0.5, color="#f0f0f0", linewidth=0.6, zorder=0)
        axes[0].set_yticks(range(len(views)))
        axes[0].set_yticklabels([legend_name(v) for v in views])
        from matplotlib.lines import Line2D

        kinds = sorted({r.perturbation for r in rows if r.variant_of})
        handles = [Line2D([], [], marker="o", linestyle="", color="#222222", label="original")]
        handles += [Line2D([], [], marker=VARIANT_STYLE.get(k, ("D", "#CC79A7"))[0], linestyle="",
                           color=VARIANT_STYLE.get(k, ("D", "#CC79A7"))[1], label=_tex_safe(k)) for k in kinds]
        fig.legend(handles=handles, loc="upper right", ncol=len(handles), bbox_to_anchor=(0.99, 1.0))
        fig.subplots_adjust(left=0.2, right=0.99, top=1 - 0.55 / fig.get_figheight(),
                            bottom=0.5 / fig.get_figheight() + 0.02, wspace=0.06)
        return png_bytes(fig)
