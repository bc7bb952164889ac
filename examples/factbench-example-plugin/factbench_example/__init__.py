"""An example factbench plugin; see extractor.py."""
