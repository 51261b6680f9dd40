"""Ledger export format: one entry per JSON line or CSV row, with pseudonyms when asked for.

Every line is one ledger entry, nothing else (no header line, no trailer; checkpoints are fetched
separately from ``GET /v1/audit/checkpoints``). Its fields are every ledger column (timestamps in
the ledger's ISO spelling, so the hash recomputes from the line), then ``leaf_index`` and
``leaf_hash`` (null until a checkpoint has indexed the entry) and ``pseudonymized``.

CSV has a header row with the same names. A null is an empty cell; a string that is empty or starts
with a backslash gets one more backslash in front, so every value reads back exactly; ``payload`` is
its canonical JSON; ``pseudonymized`` is ``true``/``false``.

Pseudonyms (``MERITFLOW_EXPORT_PSEUDONYMIZE``): every NIP (an 18-digit number standing alone) in the
ids, subject, actors, justification and payload, and every ``name`` in the payload, becomes
``p_`` + the first 16 hex digits of HMAC-SHA256(``MERITFLOW_PSEUDONYM_KEY``, value) — stable across
exports with one key, so lines about one person still match up. That changes hashed content, so a
pseudonymized line says ``"pseudonymized": true`` and keeps the ORIGINAL ``prev_hash``, ``hash`` and
``leaf_hash``: its links, sequence, Merkle inclusion and the checkpoint signatures can be verified,
but its hash cannot be recomputed from its content. A non-pseudonymized export is fully re-hashed.
Names inside free text (a justification) are not detected.

This module reads no settings beyond those passed in and opens nothing: the offline verifier uses it.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from domain.canonical import HASHED_FIELDS, canonical_json, iso_utc
from integrity.checkpoint_signing import DEVELOPMENT_ENVS, logger

if TYPE_CHECKING:
    from infra.settings import Settings

Format = Literal["jsonl", "csv"]

# Every stored column: the hashed ones (one list, in domain.ledger) plus the chain's own fields.
LEDGER_COLUMNS: tuple[str, ...] = (
    *HASHED_FIELDS[:2],
    "seq",
    *HASHED_FIELDS[2:],
    "prev_hash",
    "hash",
)
EXPORT_COLUMNS: tuple[str, ...] = (*LEDGER_COLUMNS, "leaf_index", "leaf_hash", "pseudonymized")
_INT_COLUMNS = frozenset({"seq", "leaf_index"})

NIP = re.compile(r"(?<!\d)\d{18}(?!\d)")
NAME_KEYS = frozenset({"name", "full_name", "nama"})
PSEUDONYMIZED_COLUMNS = (
    "entry_id",
    "process_id",
    "workflow_id",
    "update_id",
    "subject",
    "actor_id",
    "on_behalf_of",
    "justification",
)
_DEVELOPMENT_PSEUDONYM_KEY = b"meritflow development pseudonym key - not a secret - v1"


class ExportConfigError(Exception):
    """Pseudonyms are asked for but no key is configured outside development/test."""


class ExportFormatError(Exception):
    """A line of an export file cannot be read back."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


class Pseudonymizer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def token(self, value: str) -> str:
        return "p_" + hmac.new(self._key, value.encode(), hashlib.sha256).hexdigest()[:16]

    def text(self, value: str) -> str:
        return NIP.sub(lambda m: self.token(m.group()), value)

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {
                k: self.token(v) if k in NAME_KEYS and isinstance(v, str) else self.value(v)
                for k, v in value.items()
            }
        return value

    def record(self, record: dict[str, Any]) -> dict[str, Any]:
        out = dict(record)
        for column in PSEUDONYMIZED_COLUMNS:
            if isinstance(out.get(column), str):
                out[column] = self.text(out[column])
        out["payload"] = self.value(out["payload"])
        out["pseudonymized"] = True
        return out


def load_pseudonymizer(settings: Settings, *, force: bool = False) -> Pseudonymizer | None:
    """None when exports are not pseudonymized (``force``: they always are); the development key
    only in development/test."""
    if not (settings.export_pseudonymize or force):
        return None
    if settings.pseudonym_key:
        return Pseudonymizer(settings.pseudonym_key.encode())
    if settings.env not in DEVELOPMENT_ENVS:
        raise ExportConfigError(
            "MERITFLOW_EXPORT_PSEUDONYMIZE is on but MERITFLOW_PSEUDONYM_KEY is not set"
        )
    logger(__name__).warning("export.development_pseudonym_key", env=settings.env)
    return Pseudonymizer(_DEVELOPMENT_PSEUDONYM_KEY)


def export_record(
    row: Mapping[str, Any],
    leaf_index: int | None,
    leaf_hash: str | None,
    pseudonymizer: Pseudonymizer | None = None,
) -> dict[str, Any]:
    """One stored entry (column mapping) as an export line's fields, in column order."""
    record: dict[str, Any] = {}
    for column in LEDGER_COLUMNS:
        value = row[column]
        record[column] = iso_utc(value) if isinstance(value, datetime) else value
    record.update(leaf_index=leaf_index, leaf_hash=leaf_hash, pseudonymized=False)
    return pseudonymizer.record(record) if pseudonymizer is not None else record


# --- writing ------------------------------------------------------------------------------------


def jsonl_line(record: Mapping[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def _cell(column: str, value: Any) -> str:
    if value is None:
        return ""
    if column == "payload":
        text = canonical_json(value).decode()
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = str(value)
    # A leading backslash escapes: the empty string (vs null), a literal backslash, and anything a
    # spreadsheet would run as a formula (=, +, -, @, tab, carriage return); the reader strips it.
    return "\\" + text if text == "" or text.startswith(_ESCAPED) else text


_ESCAPED = ("\\", "=", "+", "-", "@", "\t", "\r")


def csv_rows(records: Sequence[Mapping[str, Any]], *, header: bool = False) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if header:
        writer.writerow(EXPORT_COLUMNS)
    for record in records:
        writer.writerow([_cell(c, record.get(c)) for c in EXPORT_COLUMNS])
    return buffer.getvalue()


# --- reading ------------------------------------------------------------------------------------


def _uncell(line: int, column: str, text: str) -> Any:
    if text == "":
        return None
    if text.startswith("\\"):
        text = text[1:]
    try:
        if column in _INT_COLUMNS:
            return int(text)
        if column == "payload":
            return json.loads(text)
    except ValueError as exc:
        raise ExportFormatError(line, f"column {column} is not readable: {exc}") from exc
    if column == "pseudonymized":
        return text == "true"
    return text


def _check_fields(line: int, record: Any) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise ExportFormatError(line, "is not a JSON object")
    missing = [c for c in LEDGER_COLUMNS if c not in record]
    if missing:
        raise ExportFormatError(line, f"fields missing: {', '.join(missing)}")
    return record


def _read_jsonl(handle: io.TextIOBase) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, text in enumerate(handle, start=1):
        if not text.strip():
            continue
        try:
            record = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ExportFormatError(number, f"not valid JSON (cut short?): {exc.msg}") from exc
        yield number, _check_fields(number, record)


def _read_csv(handle: io.TextIOBase) -> Iterator[tuple[int, dict[str, Any]]]:
    # An entry's payload may be longer than the csv module's field limit, which is the process's:
    # raised for this read only, so that an upload read elsewhere in the process keeps its bound.
    previous = csv.field_size_limit(sys.maxsize)
    try:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or any(c not in header for c in LEDGER_COLUMNS):
            raise ExportFormatError(1, "the CSV header does not name the ledger columns")
        line = reader.line_num
        for cells in reader:
            number, line = line + 1, reader.line_num
            if len(cells) != len(header):
                raise ExportFormatError(number, f"has {len(cells)} cells, the header {len(header)}")
            yield number, {c: _uncell(number, c, v) for c, v in zip(header, cells, strict=True)}
    finally:
        csv.field_size_limit(previous)


def read_export(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(line number, record)`` for every entry of a JSONL or CSV export, in file order."""
    with path.open(encoding="utf-8", newline="") as handle:
        first = handle.read(1)
        handle.seek(0)
        if path.suffix.lower() == ".csv" or (first and first != "{"):
            yield from _read_csv(handle)
        else:
            yield from _read_jsonl(handle)
