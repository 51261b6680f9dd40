from __future__ import annotations

from pydantic import BaseModel

from domain.employee import EmployeeRecord


class EmployeeRead(BaseModel):
    record: EmployeeRecord


class ImportResult(BaseModel):
    imported: int
