"""Metric values from MES/ERP over the API (`POST /api/v1/metrics`, scope `metrics`).

Each row is first checked for its types by `MetricRowIn` (the model the OpenAPI document
shows), then by the rules of the file import (services/metrics/values.py): a known
metric that is no ratio, a known worker (or a machine somebody ran that date and shift),
no repeated key, no closed period. A token limited to workshops may send values only of
workers of those workshops. Problems are named by the row's index in `records`. By
default one bad row stores nothing; with `skip_bad` the good rows are stored and the bad
ones reported. Sending the same rows again changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy.orm import Session

from server.models import RecordSource
from server.services import InvalidInput
from server.services.metrics.values import LIMIT, check_values, upsert_values
from server.services.production.records import CODE_PATTERN, MAX_CODE, MAX_SHIFT, RowError

MAX_METRIC_ROWS = 5000
_SHOWN_PROBLEMS = 10
SafeCode = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CODE,
                                            pattern=CODE_PATTERN)]


class MetricRowIn(BaseModel):
    """One value of one metric for one shift, of a worker or of a machine (then shared
    among the workers with a production record on it that date and shift)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    date: dt.date
    shift: Annotated[str, StringConstraints(min_length=1, max_length=MAX_SHIFT,
                                            pattern=r"^[^\x00-\x1f\x7f]+$")]
    worker_code: SafeCode | None = Field(default=None, description="give this or machine_code")
    machine_code: SafeCode | None = Field(default=None,
                                          description="give this or worker_code")
    metric: SafeCode = Field(description="a metric's code (`metric add`)")
    value: float = Field(ge=-LIMIT, le=LIMIT, description="a share as 0.95, not 95")


def _typed(records: Sequence[Any]) -> tuple[list[dict[str, Any]], list[int], list[RowError]]:
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    problems: list[RowError] = []
    for number, raw in enumerate(records):
        try:
            row = MetricRowIn.model_validate(raw)
        except ValidationError as error:
            for item in error.errors(include_url=False):
                name = ".".join(str(p) for p in item["loc"]) or None
                problems.append(RowError(number, f"{name or 'record'}: {item['msg']}", name))
            continue
        if (row.worker_code is None) == (row.machine_code is None):
            problems.append(RowError(number, "worker_code: give a worker_code or a "
                                     "machine_code, one of them", "worker_code"))
            continue
        rows.append(row.model_dump())
        numbers.append(number)
    return rows, numbers, problems


def receive_metrics(
    session: Session, records: Sequence[Any], skip_bad: bool, token_name: str, *,
    workshops: Collection[int] | None = None,
) -> dict[str, Any]:
    """Store the rows from MES (the caller commits); the report counts what happened.
    `workshops`: the ids of the workshops the token is limited to (None: every one)."""
    rows, numbers, problems = _typed(records)
    checked = check_values(session, rows, numbers=numbers, label="record",
                           workshops=set(workshops) if workshops is not None else None)
    problems = sorted(problems + checked.errors, key=lambda p: p.row)
    if problems and not skip_bad:
        shown = "; ".join(f"records.{p.row}: {p.reason}" for p in problems[:_SHOWN_PROBLEMS])
        more = len(problems) - _SHOWN_PROBLEMS
        raise InvalidInput(shown + (f"; and {more} more" if more > 0 else "")
                           + " (nothing was stored; send skip_bad to store the good rows)")
    report = upsert_values(session, checked.values, RecordSource.MES,
                           f"integration:{token_name}",
                           audit_context={"via": "api", "token": token_name})
    return {**report.to_dict(), "rejected": [p.to_dict() for p in problems]}
