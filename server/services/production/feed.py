"""Production records from MES/ERP over the API, checked as an imported file is.

Each row is first checked for its types by `ProductionRowIn` (the model the OpenAPI
document shows), then by the production service's rules, the same ones the CSV import
applies (run within planned, defects within output, a known worker, no repeated key).
A token limited to workshops (`token add --workshop`) may send rows only of workers of
those workshops, on machines of those workshops (a machine not yet known is made in the
worker's workshop): any other row is refused like a bad one, naming it and why.
Problems are named by the row's index in `records`. By default one bad row stores
nothing; with `skip_bad` the good rows are stored and the bad ones reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from sqlalchemy.orm import Session

from server.models import Machine, RecordSource, Worker
from server.services import InvalidInput
from server.services.production.records import (
    CODE_PATTERN,
    MAX_CODE,
    ProductionRow,
    RowError,
    by_code,
    upsert_production,
    validate_production_rows,
)

MAX_PRODUCTION_ROWS = 5000
_SHOWN_PROBLEMS = 10
# Worker and machine codes as an imported file must spell them (records.CODE_PATTERN): a
# machine MES names is created, and codes end up in exports, file names and URLs.
SafeCode = Annotated[str, StringConstraints(min_length=1, max_length=MAX_CODE,
                                            pattern=CODE_PATTERN)]


class ProductionRowIn(BaseModel):
    """One shift of one worker on one machine, as a row of the production CSV."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    date: dt.date
    shift: Annotated[str, StringConstraints(min_length=1, max_length=16,
                                            pattern=r"^[^\x00-\x1f\x7f]+$")]
    worker_code: SafeCode
    machine_code: SafeCode
    planned_minutes: float = Field(ge=0, le=1440)
    run_minutes: float = Field(ge=0, le=1440, description="at most planned_minutes")
    output: int = Field(ge=0, le=10_000_000)
    defects: int = Field(ge=0, le=10_000_000, description="at most output")


def _typed(records: Sequence[Any]) -> tuple[list[dict[str, Any]], list[int], list[RowError]]:
    rows: list[dict[str, Any]] = []
    numbers: list[int] = []
    problems: list[RowError] = []
    for number, raw in enumerate(records):
        try:
            row = ProductionRowIn.model_validate(raw)
        except ValidationError as error:
            for item in error.errors(include_url=False):
                name = ".".join(str(p) for p in item["loc"]) or None
                problems.append(RowError(number, f"{name or 'record'}: {item['msg']}", name))
            continue
        rows.append(row.model_dump())
        numbers.append(number)
    return rows, numbers, problems


def _outside(session: Session, good: Sequence[tuple[int, ProductionRow]],
             workshops: Collection[int]) -> list[RowError]:
    """Why each row names a worker or machine outside `workshops` (workshop ids)."""
    workers = by_code(session, Worker, {row.worker_code for _, row in good})
    machines = by_code(session, Machine, {row.machine_code for _, row in good})
    problems = []
    for number, row in good:
        if workers[row.worker_code].workshop_id not in workshops:
            problems.append(RowError(number, f"worker_code: {row.worker_code!r} is not a "
                                     "worker of this token's workshops", "worker_code"))
        machine = machines.get(row.machine_code)
        if machine is not None and machine.workshop_id not in workshops:
            problems.append(RowError(number, f"machine_code: {row.machine_code!r} is not a "
                                     "machine of this token's workshops", "machine_code"))
    return problems


def receive_production(
    session: Session, records: Sequence[Any], skip_bad: bool, token_name: str, *,
    workshops: Collection[int] | None = None,
) -> dict[str, Any]:
    """Store the rows from MES (the caller commits); the report counts what happened.
    `workshops`: the ids of the workshops the token is limited to (None: every one;
    `devices.tokens.token_workshops`)."""
    rows, numbers, problems = _typed(records)
    checked = validate_production_rows(session, rows, numbers=numbers, label="record")
    good = checked.good
    if workshops is not None:
        outside = _outside(session, good, workshops)
        refused = {p.row for p in outside}
        good = [(number, row) for number, row in good if number not in refused]
        problems += outside
    problems = sorted(problems + checked.errors, key=lambda p: p.row)
    if problems and not skip_bad:
        shown = "; ".join(f"records.{p.row}: {p.reason}" for p in problems[:_SHOWN_PROBLEMS])
        more = len(problems) - _SHOWN_PROBLEMS
        raise InvalidInput(shown + (f"; and {more} more" if more > 0 else "")
                           + " (nothing was stored; send skip_bad to store the good rows)")
    report = upsert_production(session, [row for _, row in good], RecordSource.MES,
                               f"integration:{token_name}",
                               audit_context={"via": "api", "token": token_name})
    return {**report.to_dict(), "rejected": [p.to_dict() for p in problems]}
