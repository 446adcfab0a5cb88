"""Files on outcomes (the scanned 批示件, docs/reports.md): the gateway keeps the bytes,
review what each file is, which outcome it hangs on, and who may have it."""
import uuid

from minyi_common.contracts import (AttachmentClaim, AttachmentSchema, load_contract,
                                    load_principal, reusable)
from minyi_common.db import utcnow
from minyi_common.errors import NotFound

from .. import domain
from ..adapters.repository import ReviewRepository

FIELDS = ("id", "outcome_id", "name", "size", "content_type", "sha256", "uploaded_by",
          "created_at")


def add(db, principal, report_id, outcome_id, blob) -> dict:
    """Record a file the gateway stored on an outcome of a report (an editor's)."""
    principal = domain.as_editor(principal)
    blob = load_contract(AttachmentClaim, blob)
    with db.unit_of_work() as uow:
        repo = ReviewRepository(uow)
        case = repo.case(report_id)
        if case is None or outcome_id not in {o.get("id") for o in case["outcomes"]}:
            raise NotFound(f"no outcome {outcome_id}")
        row = {**blob, "id": str(uuid.uuid4()), "outcome_id": outcome_id,
               "uploaded_by": principal["id"], "created_at": utcnow()}
        repo.add_outcome_file(row)
        uow.commit()
    return _dump(row)


def listed(db, principal, report_id) -> dict:
    """The files on every outcome of a report, for whoever may see the report."""
    principal = load_principal(principal)
    with db.unit_of_work(read_only=True) as uow:
        rows = _of_case(ReviewRepository(uow), principal, report_id)
    return {"items": [_dump(r) for r in rows]}


def to_send(db, principal, report_id, attachment_id) -> dict:
    """One file with its blob key, for whoever may see the report (404 otherwise)."""
    principal = load_principal(principal)
    with db.unit_of_work(read_only=True) as uow:
        found = [r for r in _of_case(ReviewRepository(uow), principal, report_id)
                 if r["id"] == attachment_id]
    if not found:
        raise NotFound(f"no file {attachment_id}")
    return {**_dump(found[0]), "key": found[0]["key"]}


def _of_case(repo, principal, report_id) -> list:
    case = repo.case(report_id)
    # Unknown and not-visible look the same from outside.
    if case is None or not domain.may_see(principal, case):
        raise NotFound(f"no report {report_id}")
    return repo.outcome_files([o["id"] for o in case["outcomes"] if o.get("id")])


def _dump(row: dict) -> dict:
    return {"outcome_id": row["outcome_id"],
            **reusable(AttachmentSchema).dump({k: row[k] for k in FIELDS if k != "outcome_id"})}
