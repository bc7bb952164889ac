"""The error hierarchy. The CLI catches `FactbenchError` only and exits with its status.

Every input problem has a named code (below) so users can grep, filter and
document them; `docs/errors.md` shows an example of each.
"""

from __future__ import annotations

# code -> (severity, one-line meaning)
CODES: dict[str, tuple[str, str]] = {
    "FILE_NOT_FOUND": ("error", "the file does not exist or cannot be read"),
    "FILE_TOO_LARGE": ("error", "the file exceeds the size limit"),
    "NOT_UTF8": ("error", "the file is not UTF-8 text"),
    "LINE_TOO_LONG": ("error", "a line exceeds the line-length limit"),
    "MALFORMED_JSON": ("error", "a line or file is not valid JSON"),
    "NOT_AN_OBJECT": ("error", "a JSON value is not an object where one is required"),
    "MISSING_DOC_ID": ("error", "a prediction has no doc_id"),
    "BAD_DOC_ID": ("error", "a doc_id is not a safe identifier"),
    "UNKNOWN_DOC": ("error", "a doc_id names no gold document"),
    "MISSING_FIELD": ("error", "a required field is missing"),
    "BAD_FIELD": ("error", "a field has the wrong JSON type"),
    "UNKNOWN_TYPE": ("warning", "a record type outside the schema: counted, not scored"),
    "UNKNOWN_SLOT": ("warning", "a slot outside its type's schema: counted, not scored"),
    "BAD_VALUE": ("error", "a gold value cannot be normalized"),
    "VALUE_TOO_LONG": ("error", "a value exceeds the value-length limit"),
    "TOO_MANY_RECORDS": ("error", "a document has more records than the limit"),
    "UNKNOWN_ENTITY": ("error", "a gold slot refers to no entity of the table"),
    "SPAN_OUT_OF_RANGE": ("error", "an evidence span lies outside the text"),
    "SPAN_TEXT_MISMATCH": ("error", "an evidence span's text differs from the text stored"),
    "MISSING_EVIDENCE": ("error", "a scored gold value has no evidence span"),
    "DUPLICATE_ID": ("error", "an id is used twice"),
    "DUPLICATE_VALUE": ("error", "a gold slot lists the same value twice"),
    "SCHEMA_VERSION": ("error", "an unsupported gold schema version"),
    "TEXT_HASH_MISMATCH": ("error", "a document's text does not match its recorded sha256"),
}


class FactbenchError(Exception):
    """Base of every error the CLI reports as one line."""

    exit_status = 2


class BadInput(FactbenchError):
    """A file or argument a user gave is wrong. Exit status 2."""

    def __init__(self, message: str, code: str | None = None, where: str | None = None):
        self.code = code
        self.where = where
        parts = [p for p in (where, code, message) if p]
        super().__init__(": ".join(parts))


class GoldError(BadInput):
    """The gold (a file of gold/) is invalid."""


class PredictionsError(BadInput):
    """A predictions file is invalid."""


class UnknownExtractor(BadInput):
    """No extractor has that name."""


class MissingDependency(FactbenchError):
    """An extractor needs a package that is not installed; the message holds the pip line."""


class ExtractorFailed(FactbenchError):
    """An extractor crashed, hung or returned garbage. Exit status 1."""

    exit_status = 1
