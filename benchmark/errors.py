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
    "DUPLICATE_RECORD": ("error", "a gold record has the same type and scored values as another record"),
    "UNKNOWN_VARIANT_OF": ("error", "a gold variant's variant_of names no original document of the gold set"),
    "SCHEMA_VERSION": ("error", "an unsupported gold schema version"),
    "TEXT_HASH_MISMATCH": ("error", "a document's text does not match its recorded sha256"),
    "NESTED_TOO_DEEP": ("error", "a JSON value is nested deeper than the nesting limit"),
    "NUMBER_TOO_LARGE": ("error", "an integer has more digits than Python converts"),
    "IGNORED_FIELD": ("warning", "an optional field (evidence, confidence) has an unusable value: ignored"),
    "BAD_ARGUMENT": ("error", "a command-line argument is missing or invalid"),
    "UNKNOWN_EXTRACTOR": ("error", "no extractor (or preset) has that name"),
    "IO_ERROR": ("error", "a file or folder cannot be read or written (permissions, not a folder, disk full)"),
    "MISSING_DEPENDENCY": ("error", "an extractor needs a package that is not installed (the pip line is named)"),
    "EXTRACTOR_FAILED": ("error", "an extractor crashed, hung, blew its memory limit or returned garbage: exit 1"),
    "SCORING_PROCESS_DIED": ("error", "a process scoring documents in parallel (--jobs) died: exit 1"),
    "INTERNAL_ERROR": ("error", "a bug in factbench: reported in one line, exit status 3"),
}


class FactbenchError(Exception):
    """Base of every error the CLI reports as one line."""

    exit_status = 2
    code: str | None = None

    def line(self) -> str:
        """The one line the CLI prints (after `factbench: `): where, code, message."""
        text = " ".join(str(self).split())
        if self.code and not isinstance(self, BadInput):
            text = f"{self.code}: {text}"
        return text


class BadInput(FactbenchError):
    """A file or argument a user gave is wrong. Exit status 2.

    Without a code, the problem is an argument (`BAD_ARGUMENT`).
    """

    def __init__(self, message: str, code: str | None = None, where: str | None = None):
        self.code = code or "BAD_ARGUMENT"
        self.where = where
        parts = [p for p in (where, self.code, message) if p]
        super().__init__(": ".join(parts))


class GoldError(BadInput):
    """The gold (a file of gold/) is invalid."""


class PredictionsError(BadInput):
    """A predictions file is invalid."""


class UnknownExtractor(BadInput):
    """No extractor has that name."""

    def __init__(self, message: str, code: str | None = "UNKNOWN_EXTRACTOR", where: str | None = None):
        super().__init__(message, code=code, where=where)


class MissingDependency(FactbenchError):
    """An extractor needs a package that is not installed; the message holds the pip line."""

    code = "MISSING_DEPENDENCY"


class ReportedError(FactbenchError):
    """A FactbenchError raised in another process (an extractor's worker), carried as its one line."""

    def __init__(self, line: str, code: str | None, exit_status: int = 2):
        super().__init__(line)
        self.code = code
        self.exit_status = exit_status

    def line(self) -> str:
        return " ".join(str(self).split())


class ExtractorFailed(FactbenchError):
    """An extractor crashed, hung or returned garbage. Exit status 1."""

    exit_status = 1
    code = "EXTRACTOR_FAILED"


class ScoringFailed(FactbenchError):
    """A process scoring documents in parallel died (killed, out of memory). Exit status 1."""

    exit_status = 1
    code = "SCORING_PROCESS_DIED"
