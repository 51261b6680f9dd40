"""The applicants' CSV file, read into profiles: every bad value named by line and column.

Limits (size, rows) are operational, not rules of the selection: a file over them is refused with
413 before or while it is read, and the refusal is recorded like any other.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from pydantic import ValidationError

from actions.schemas.selections import ApplicantImport
from domain.errors import RuleViolation, TooLarge
from domain.selection.screening import ApplicantProfile

CSV_MAX_BYTES = 5 * 1024 * 1024
CSV_MAX_ROWS = 10_000
CSV_COLUMNS = (
    "applicant_id",
    "nip",
    "name",
    "degree",
    "years_experience",
    "years_senior_post",
    "birth_date",
    "grade",
    "sanction_active",
)
CSV_ERRORS_LISTED = 500
_TRUE = {"true", "1", "yes", "y", "ya"}
_FALSE = {"false", "0", "no", "n", "tidak", ""}


def read_import(raw: bytes) -> ApplicantImport:
    """The action's body from the file's bytes (``actions.pipeline.Action.parse``)."""
    if len(raw) > CSV_MAX_BYTES:
        raise TooLarge(
            f"The file has {len(raw)} bytes; at most {CSV_MAX_BYTES} are accepted at once.",
            code="csv_too_large",
            field="body",
        )
    return ApplicantImport(profiles=parse_csv(raw))


def parse_csv(raw: bytes) -> list[ApplicantProfile]:
    """Every row as a profile, or a refusal naming the line and column of every bad value."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise RuleViolation(
            f"The file is not UTF-8 text: {err.reason}.", code="csv_invalid", field="body"
        ) from err
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    if tuple(header) != CSV_COLUMNS:
        expected = ",".join(CSV_COLUMNS)
        raise RuleViolation(
            f"Line 1 must be the header {expected}.",
            code="csv_invalid",
            fields=[{"field": "line 1", "message": f"header must be {expected}"}],
        )
    profiles: list[ApplicantProfile] = []
    errors: list[dict[str, str]] = []
    bad_rows = rows = 0
    for values in reader:
        if not any(v.strip() for v in values):
            continue  # blank lines are not rows
        rows += 1
        if rows > CSV_MAX_ROWS:
            raise TooLarge(
                f"The file has more than {CSV_MAX_ROWS} rows; split it into several imports.",
                code="csv_too_many_rows",
                field="body",
            )
        row_errors = _row_errors(values, reader.line_num, profiles)
        if row_errors:
            bad_rows += 1
            errors.extend(row_errors)
    if errors:
        listed = errors[:CSV_ERRORS_LISTED]
        more = (
            f" ({len(errors) - len(listed)} more not listed)" if len(errors) > len(listed) else ""
        )
        raise RuleViolation(
            f"{bad_rows} row(s) have invalid values{more}; nothing was imported.",
            code="csv_invalid",
            fields=listed,
        )
    if not profiles:
        raise RuleViolation("The file has a header but no rows.", code="csv_invalid", field="body")
    return profiles


def _row_errors(values: list[str], line: int, out: list[ApplicantProfile]) -> list[dict[str, str]]:
    if len(values) != len(CSV_COLUMNS):
        message = f"{len(values)} values; expected {len(CSV_COLUMNS)}"
        return [{"field": f"line {line}", "message": message}]
    cells = {c: v.strip() for c, v in zip(CSV_COLUMNS, values, strict=True)}
    errors: list[dict[str, str]] = []
    sanction = cells["sanction_active"].lower()
    if sanction not in _TRUE | _FALSE:
        errors.append(
            {"field": f"line {line}, sanction_active", "message": "expected true or false"}
        )
    data: dict[str, Any] = {
        **cells,
        "nip": cells["nip"] or None,
        "grade": cells["grade"] or None,
        "sanction_active": sanction in _TRUE,
    }
    try:
        profile = ApplicantProfile.model_validate(data)
    except ValidationError as err:
        for e in err.errors():
            column = str(e["loc"][0]) if e.get("loc") else "row"
            errors.append({"field": f"line {line}, {column}", "message": str(e["msg"])})
        return errors
    if not errors:
        out.append(profile)
    return errors
