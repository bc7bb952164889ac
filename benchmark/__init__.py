"""factbench: score fact extractors against hand-annotated facts in news text.

Where to start:
- `benchmark/types.py`: the record schema and every core type.
- `benchmark/extractor.py`: how to add an extractor (numbered steps).
- `benchmark/scoring.py`: how predictions are aligned and judged; `values.py` how values match,
  `matching.py` which values can match and the optimal pairing, `outcomes.py` what is recorded.
- `benchmark/cli.py`: the commands; each handler imports what it needs.
"""

__version__ = "0.1.0"
