"""A case as review keeps it (a report with its edit, decision and outcomes), loaded
and checked the same way by every use case."""

from sqlalchemy import select

from minyi_common.db import decode_json

from ..adapters.orm import cases



def case_from_row(row) -> dict:
    case = dict(row._mapping)
    for name in ("co_author_ids", "decision", "edited", "outcomes", "declined_ids"):
        case[name] = decode_json(case[name])
    return case


def record_of(case: dict) -> dict:
    record = {k: case[k] for k in ("author_id", "co_author_ids", "unit_id", "category",
                                   "situation", "analysis", "suggestions",
                                   "consent_to_publish", "urgent")}
    record.update(id=case["report_id"], title=case["title"],
                  submitted_at=case["submitted_at"].isoformat(),
                  entered_by=case.get("entered_by"),
                  received_on=case["received_on"].isoformat() if case.get("received_on")
                  else None)
    return record


def load_case(uow, report_id: str, for_update: bool = False) -> dict | None:
    """A case; ``for_update`` holds its row until commit (outcomes and intake's events
    change a case that decisions change too)."""
    query = select(cases).where(cases.c.report_id == report_id)
    row = uow.execute(query.with_for_update() if for_update else query).first()
    return case_from_row(row) if row else None

