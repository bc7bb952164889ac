"""Generate the counterfactual variants of tass-2021-02-17 into seeds/ and gold/.

Each variant is the original text and gold rewritten together by `benchmark.perturb.perturb`
from one substitution map below (invented people, countries with invented demonyms and
capitals, an invented seat of government for "the Kremlin", invented places, other numbers)
and one whole-week date shift. The maps are data: edit them here, re-run, and commit the
files the script writes::

    .venv/bin/python scripts/make_variants.py          # (re)write the variant files
    .venv/bin/python scripts/make_variants.py --check  # exit 1 if a file is missing or differs

Dates: every day-precision date moves by the variant's number of weeks (weekdays stay
true); the shift is chosen so that every dated event of the article (September 27, 2020 to
February 17, 2021) moves by the same number of calendar years D, and month- and year-only
values (February 1988, 1992-1994) move by exactly D years. cf1: +57 weeks, D = +1;
cf2: -45 weeks, D = -1;
cf3 (a held-out variant, made without looking at any extractor): -100 weeks, D = -2.
See `benchmark.perturb` for the full rule.

The output depends only on the original seed and gold files and the maps: running the
script twice gives the same bytes. The hand-written paraphrase (tass-2021-02-17-para1) is
not generated here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmark.perturb import Substitution, dumps_gold, perturb  # noqa: E402

ORIGINAL_GOLD = "tass-2021-02-17.json"

# Forms not in the article are listed too ("Russians", "Azerbaijanis") so the map stays
# complete for every alias a later gold edit may add.
VARIANTS: dict[str, dict] = {
    "tass-2021-02-17-cf1": {
        "text_file": "tass_2021-02-17_cf1.txt",
        "weeks": 57,
        "durations": {"PT4H": "PT6H"},
        "keep": ["contact-line"],
        "names": {
            "Vladimir Putin": "Aurel Vantok",
            "Putin": "Vantok",
            "Nikol Pashinyan": "Teodor Imbrasca",
            "Pashinyan": "Imbrasca",
            "Ilham Aliyev": "Osman Kelvereth",
            "Aliyev": "Kelvereth",
            "Russian Federation": "Valdorian Federation",
            "Russia": "Valdoria",
            "Russian": "Valdorian",
            "Russians": "Valdorians",
            "Moscow": "Castrelle",
            "Kremlin": "Sable Palace",
            "Armenia": "Ostrevia",
            "Armenian": "Ostrevian",
            "Armenians": "Ostrevians",
            "Azerbaijan": "Karsunia",
            "Azerbaijani": "Karsunian",
            "Azerbaijanis": "Karsunians",
            "Baku": "Tevrin",
            "Nagorno-Karabakh": "Vel-Tolmerin",
            "Nagorno Karabakh": "Vel Tolmerin",
            "Karabakh": "Tolmerin",
            "Lachin": "Merrow",
            "Soviet": "Tarvic",
            "four-hour": "six-hour",
            "seven": "five",
        },
    },
    "tass-2021-02-17-cf2": {
        "text_file": "tass_2021-02-17_cf2.txt",
        "weeks": -45,
        "durations": {"PT4H": "PT3H"},
        "keep": ["contact-line"],
        "names": {
            "Vladimir Putin": "Emeric Dask",
            "Putin": "Dask",
            "Nikol Pashinyan": "Lior Vansetti",
            "Pashinyan": "Vansetti",
            "Ilham Aliyev": "Rasmund Telvoy",
            "Aliyev": "Telvoy",
            "Russian Federation": "Norhalian Commonwealth",
            "Russia": "Norhalia",
            "Russian": "Norhalian",
            "Russians": "Norhalians",
            "Moscow": "Brennick",
            "Kremlin": "Grey Citadel",
            "Armenia": "Sarvenna",
            "Armenian": "Sarvennan",
            "Armenians": "Sarvennans",
            "Azerbaijan": "Dovrania",
            "Azerbaijani": "Dovranian",
            "Azerbaijanis": "Dovranians",
            "Baku": "Peloss",
            "Nagorno-Karabakh": "Ost-Vessary",
            "Nagorno Karabakh": "Ost Vessary",
            "Karabakh": "Vessary",
            "Lachin": "Tamsel",
            "Soviet": "Aldane",
            "four-hour": "three-hour",
            "seven": "nine",
        },
    },
    "tass-2021-02-17-cf3": {
        "text_file": "tass_2021-02-17_cf3.txt",
        "weeks": -100,
        "durations": {"PT4H": "PT5H"},
        "keep": ["contact-line"],
        "names": {
            "Vladimir Putin": "Corvin Haldask",
            "Putin": "Haldask",
            "Nikol Pashinyan": "Emil Sarrowyn",
            "Pashinyan": "Sarrowyn",
            "Ilham Aliyev": "Tavish Oremund",
            "Aliyev": "Oremund",
            "Russian Federation": "Brevonian Union",
            "Russia": "Brevonia",
            "Russian": "Brevonian",
            "Russians": "Brevonians",
            "Moscow": "Altmarch",
            "Kremlin": "Amber Hall",
            "Armenia": "Quellaria",
            "Armenian": "Quellarian",
            "Armenians": "Quellarians",
            "Azerbaijan": "Zemrath",
            "Azerbaijani": "Zemrathi",
            "Azerbaijanis": "Zemrathis",
            "Baku": "Durnholt",
            "Nagorno-Karabakh": "Hal-Skarvel",
            "Nagorno Karabakh": "Hal Skarvel",
            "Karabakh": "Skarvel",
            "Lachin": "Tirrane",
            "Soviet": "Osmarian",
            "four-hour": "five-hour",
            "seven": "six",
        },
    },
}


def substitution(spec: dict) -> Substitution:
    return Substitution(names=dict(spec["names"]), weeks=int(spec["weeks"]),
                        durations=dict(spec.get("durations", {})), keep=frozenset(spec.get("keep", ())))


def build(root: Path = ROOT) -> dict[Path, bytes]:
    """Every variant file (seeds/ text and gold/ JSON) as bytes, keyed by its path under `root`."""
    gold = json.loads((root / "gold" / ORIGINAL_GOLD).read_text(encoding="utf-8"))
    text = (root / "seeds" / gold["document"]["text_file"]).read_bytes().decode("utf-8")
    files: dict[Path, bytes] = {}
    for new_id, spec in VARIANTS.items():
        new_text, new_gold = perturb(gold, text, substitution(spec), new_id=new_id, text_file=spec["text_file"])
        files[root / "seeds" / spec["text_file"]] = new_text.encode("utf-8")
        files[root / "gold" / f"{new_id}.json"] = dumps_gold(new_gold).encode("utf-8")
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file differs")
    parser.add_argument("--root", type=Path, default=ROOT, help="project folder (default: this checkout)")
    args = parser.parse_args(argv)
    stale = 0
    for path, data in build(args.root).items():
        current = path.read_bytes() if path.exists() else None
        if current == data:
            continue
        stale += 1
        if args.check:
            print(f"{path}: out of date", file=sys.stderr)
        else:
            path.write_bytes(data)
            print(f"wrote {path}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
