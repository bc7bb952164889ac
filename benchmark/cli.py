"""The `factbench` command line: argument parsing only; each handler imports what it needs.

Exit status: 0 fine, 1 an extractor failed, 2 bad input (one line naming the problem).
`factbench --help` and `factbench list` import no model stack.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _documents_choice(default: str) -> dict:
    return dict(choices=("original", "all"), default=default,
                help=f"original documents only, or variants too (default: {default})")


def _cmd_validate_gold(args: argparse.Namespace) -> int:
    from pathlib import Path

    from benchmark.gold import default_gold_dir, validate_gold

    path = Path(args.path) if args.path else default_gold_dir()
    problems = validate_gold(path)
    for problem in problems:  # one line each, whatever characters a path or value holds
        print(" ".join(str(problem).split()), file=sys.stderr)
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        return 2
    print(f"{path}: gold is valid")
    return 0


def _load_scope(gold_path: str | None, documents: str):
    from benchmark.gold import load_gold

    gold = load_gold(gold_path)
    return gold, gold.scope(documents)


MAX_WARNINGS = 20


def _print_warnings(warnings: list) -> None:
    """Each warning as one line on stderr (the first MAX_WARNINGS, then a count of the rest)."""
    from benchmark.runs import warn

    for problem in warnings[:MAX_WARNINGS]:
        warn(str(problem))
    if len(warnings) > MAX_WARNINGS:
        warn(f"{len(warnings) - MAX_WARNINGS} more warnings not shown")


def _check_numbers(args: argparse.Namespace) -> None:
    from benchmark.errors import BadInput

    if not 0 <= getattr(args, "seed", 0) < 2**32:
        raise BadInput(f"--seed {args.seed}: expected 0 <= seed < 2**32", code="BAD_ARGUMENT")
    if not 0 <= getattr(args, "bootstrap", 0) <= 100_000:
        raise BadInput(f"--bootstrap {args.bootstrap}: expected 0 to 100000 resamples", code="BAD_ARGUMENT")
    if not 0 <= getattr(args, "jobs", 0) <= 1024:
        raise BadInput(f"--jobs {args.jobs}: expected 0 (every core) to 1024 processes", code="BAD_ARGUMENT")


def _cmd_score(args: argparse.Namespace) -> int:
    from benchmark.predictions import read_predictions
    from benchmark.reports import score_json, score_table
    from benchmark.scoring import score

    _check_numbers(args)
    if args.facts:
        _check_output(args.facts, "--facts", args.pred)
    gold, scope = _load_scope(args.gold, args.documents)
    warnings: list = []
    predictions = read_predictions(args.pred, gold.documents, warnings)
    _print_warnings(warnings)
    report = score(gold, predictions, scope, bootstrap=args.bootstrap, seed=args.seed,
                   keep_outcomes=bool(args.facts), jobs=args.jobs).report
    print(score_json(report) if args.json else score_table(report))
    if args.facts:
        from benchmark.runs import write_facts

        write_facts(args.facts, report.outcomes)
    return 0


def _check_output(path: str, flag: str, *inputs: str) -> None:
    """An output file that is a folder or one of the inputs is refused before any work (nothing is lost)."""
    from pathlib import Path

    from benchmark.errors import BadInput

    out = Path(path)
    if out.is_dir():
        raise BadInput(f"{flag} {path}: is a folder, not a file", code="BAD_ARGUMENT")
    for given in inputs:
        if out.resolve() == Path(given).resolve():
            raise BadInput(f"{flag} {path}: is the input {given}; it would be overwritten", code="BAD_ARGUMENT")


def _cmd_compare(args: argparse.Namespace) -> int:
    from benchmark.compare import compare_files

    _check_numbers(args)
    print(compare_files(args.a, args.b, gold_path=args.gold, documents=args.documents, seed=args.seed,
                        as_json=args.json))
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from benchmark.runner import run_command

    return run_command(args)


def _cmd_extract(args: argparse.Namespace) -> int:
    from benchmark.runner import extract_command

    return extract_command(args)


def _cmd_leaderboard(args: argparse.Namespace) -> int:
    from benchmark.leaderboard import leaderboard_command

    _check_numbers(args)
    return leaderboard_command(args)


def _cmd_list(args: argparse.Namespace) -> int:
    from benchmark.registry import list_command

    return list_command(args)


def _cmd_check_plugin(args: argparse.Namespace) -> int:
    from benchmark.runner import check_plugin_command

    return check_plugin_command(args)


def _cmd_report(args: argparse.Namespace) -> int:
    from benchmark.report import report_command

    _check_numbers(args)
    return report_command(args)


class _Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (`factbench: BAD_ARGUMENT: ...`) and exit status 2."""

    def error(self, message: str):
        command = self.prog.removeprefix("factbench").strip()
        hint = f"factbench {command} --help" if command else "factbench --help"
        print(f"factbench: BAD_ARGUMENT: {' '.join(message.split())} (see {hint})", file=sys.stderr)
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="factbench", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"factbench {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("run", help="run extractors on the benchmark and rebuild the leaderboard")
    p.add_argument("-e", "--extractor", action="append", default=[], metavar="NAME",
                   help="extractor name, NAME@PRESET, path/to/file.py:Class or module:Class (repeatable)")
    p.add_argument("--set", action="append", default=[], metavar="NAME.key=value", help="extractor config")
    p.add_argument("--documents", **_documents_choice("all"))
    p.add_argument("--out", default="runs", help="runs folder (default: ./runs)")
    p.add_argument("--gold", default=None, help="gold folder (default: the shipped gold)")
    p.add_argument("--timeout", type=float, default=600.0, help="seconds per extractor per document")
    p.add_argument("--load-timeout", type=float, default=900.0, metavar="S",
                   help="seconds an extractor may take to load (its models) before its documents fail")
    p.add_argument("--memory-mb", type=int, default=8192, help="resident-memory limit per extractor")
    p.add_argument("--reuse", choices=("missing", "never", "always"), default="missing",
                   help="cached predictions: reuse when present (missing), never, or only (always)")
    p.add_argument("--shard", default=None, metavar="I/N", help="run shard I of N of the documents")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=_cmd_run)

    p = sub.add_parser("extract", help="run one extractor on any text; JSON Lines records to stdout")
    p.add_argument("-e", "--extractor", required=True, metavar="NAME")
    p.add_argument("file", metavar="FILE.txt")
    p.add_argument("--published", default=None, metavar="YYYY-MM-DD")
    p.add_argument("--set", action="append", default=[], metavar="NAME.key=value")
    p.add_argument("--timeout", type=float, default=600.0)
    p.add_argument("--load-timeout", type=float, default=900.0, metavar="S")
    p.set_defaults(handler=_cmd_extract)

    p = sub.add_parser("score", help="score a predictions file against the gold")
    p.add_argument("--pred", required=True, metavar="PRED.jsonl")
    p.add_argument("--gold", default=None, metavar="PATH")
    p.add_argument("--documents", **_documents_choice("original"))
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--facts", default=None, metavar="FACTS.jsonl", help="write every fact's outcome here")
    p.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples (0: no intervals)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=0, metavar="N",
                   help="processes that score (default 0: one per core; with --facts, documents are scored in "
                   "one); the same scores for any N")
    p.set_defaults(handler=_cmd_score)

    p = sub.add_parser("compare", help="paired approximate randomization of two predictions files")
    p.add_argument("a", metavar="A.jsonl")
    p.add_argument("b", metavar="B.jsonl")
    p.add_argument("--gold", default=None)
    p.add_argument("--documents", **_documents_choice("original"))
    p.add_argument("--json", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(handler=_cmd_compare)

    p = sub.add_parser("leaderboard", help="rebuild and print the leaderboard from a runs folder")
    p.add_argument("--runs", default="runs")
    p.add_argument("--gold", default=None)
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the bootstrap resamples, the same for every extractor (default: 0)")
    p.set_defaults(handler=_cmd_leaderboard)

    p = sub.add_parser("list", help="list extractors (name, origin, needs) without importing them")
    p.set_defaults(handler=_cmd_list)

    p = sub.add_parser("validate-gold", help="check gold files: schema, types, values, spans, duplicates")
    p.add_argument("path", nargs="?", default=None)
    p.set_defaults(handler=_cmd_validate_gold)

    p = sub.add_parser("check-plugin", help="run an extractor on a small document and name contract violations")
    p.add_argument("target", metavar="NAME|path.py:Class")
    p.add_argument("--set", action="append", default=[], metavar="NAME.key=value")
    p.add_argument("--timeout", type=float, default=300.0)
    p.set_defaults(handler=_cmd_check_plugin)

    p = sub.add_parser("report", help="write an HTML page and a Markdown summary from a runs folder")
    p.add_argument("--runs", default="runs")
    p.add_argument("--out", default=None, help="output folder (default: RUNS/report)")
    p.add_argument("--gold", default=None)
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed, as for `factbench leaderboard`")
    p.set_defaults(handler=_cmd_report)
    return parser


def _version() -> str:
    from benchmark import __version__

    return __version__


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from benchmark.errors import FactbenchError

    try:
        return int(args.handler(args) or 0)
    except FactbenchError as exc:
        print(f"factbench: {exc.line()}", file=sys.stderr)
        return exc.exit_status
    except KeyboardInterrupt:
        print("factbench: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a path given that is not what it should be, a full disk, no permission
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"factbench: {where}IO_ERROR: {' '.join((exc.strerror or str(exc)).split())}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: one line, never a traceback (FACTBENCH_DEBUG=1 shows it)
        import os

        if os.environ.get("FACTBENCH_DEBUG"):
            raise
        text = " ".join(str(exc).split())[:300]
        print(f"factbench: INTERNAL_ERROR: {type(exc).__name__}: {text} (a bug: please report it; "
              "FACTBENCH_DEBUG=1 shows the traceback)", file=sys.stderr)
        return 3


def console() -> None:
    """The `factbench` command. A command builds its results, prints them and ends: the cyclic collector
    has nothing to reclaim (the scorer makes no cycles) but would rescan every object kept, again and
    again while the heap grows and once more at exit."""
    import gc

    gc.disable()
    status = main()
    gc.freeze()  # what is left is freed at exit without one more full scan
    sys.exit(status)


if __name__ == "__main__":
    console()
