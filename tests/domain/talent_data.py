"""Talent records for tests: one helper, readable defaults, everything overridable."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.talent.records import TalentRecord

CUTOFF = date(2027, 3, 1)


def talent(nip: str = "198001012005011001", **kw: Any) -> TalentRecord:
    data: dict[str, Any] = {
        "nip": nip,
        "name": "Dewi Lestari",
        "agency": "PEMPROV-JATENG",
        "province": "JAWA TENGAH",
        "job_family": "finance",
        "position_level": "administrator",
        "grade": "IV/a",
        "education": "S2",
        "birth_date": date(1980, 1, 1),
        "years_experience": 15,
        "years_senior_post": 4,
        "ratings": [{"year": 2025, "rating": "very_good"}, {"year": 2026, "rating": "very_good"}],
        "awards": 2,
        "team_assignments": 3,
        "competency_score": 90,
        "competency_assessed_on": date(2026, 6, 1),
        "potential_score": 88,
        "integrity": [],
        "trainings": ["PKA", "PKN II"],
    }
    data.update(kw)
    return TalentRecord.model_validate(data)
