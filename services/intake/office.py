"""What the office publishes and asks for (docs/office-voice.md): the year's topics, the
pieces it commissions from a person or a unit, and its notices with their files. Each
use case takes the ``Database`` and plain data and returns plain data."""
import uuid

from minyi_common import events, officetime
from minyi_common.contracts import (COMMISSION_STATES, AttachmentClaim, AttachmentSchema,
                                    CommissionInput,
                                    CommissionSchema, NoticeInput, NoticeSchema, TopicFilter,
                                    TopicInput, TopicSchema, has_role, load_contract, load_page,
                                    load_principal, may, require, reusable)
from minyi_common.db import lock, utcnow
from minyi_common.errors import NotFound, ValidationFailed

from . import domain
from .adapters.office import OfficeRepository
from .adapters.repository import IntakeRepository

# Who publishes topics and notices and commissions pieces: the office's editors.
PUBLISH = "review"
MAX_NOTICE_FILES = 10


# --- topics -------------------------------------------------------------------------
def add_topic(db, principal, payload) -> dict:
    principal = load_principal(principal)
    require(principal, PUBLISH)
    data = load_contract(TopicInput, payload)
    row = {**data, "id": str(uuid.uuid4()), "created_by": principal["id"],
           "created_at": utcnow()}
    with db.unit_of_work() as uow:
        OfficeRepository(uow).add_topic(row)
        uow.commit()
    return reusable(TopicSchema).dump({**row, "reports": 0})


def list_topics(db, principal, year=None) -> dict:
    load_principal(principal)
    # Checked as a topic's own year is: nor a number the database cannot hold.
    year = load_contract(TopicFilter, {} if year in (None, "") else {"year": year})["year"]
    with db.unit_of_work(read_only=True) as uow:
        items = OfficeRepository(uow).topics(year)
    return {"items": reusable(TopicSchema, many=True).dump(items)}


# --- commissions --------------------------------------------------------------------
def add_commission(db, principal, payload) -> dict:
    principal = load_principal(principal)
    require(principal, PUBLISH)
    data = load_contract(CommissionInput, payload)
    commission_id = str(uuid.uuid4())
    with db.unit_of_work() as uow:
        repo = OfficeRepository(uow)
        person = IntakeRepository(uow).person(data["person_id"]) if data["person_id"] else None
        domain.check_commission(data, officetime.today(), person,
                                repo.unit(data["unit_id"]) if data["unit_id"] else None,
                                repo.topic(data["topic_id"]))
        row = {**data, "id": commission_id, "created_by": principal["id"],
               "created_at": utcnow()}
        repo.add_commission(row)
        repo.emit(events.new_event("commission_issued", principal["id"], commission={
            k: row[k] for k in ("id", "person_id", "unit_id", "title", "due_on")}))
        uow.commit()
        found = repo.commissions(ids=[commission_id])
    return _commissions_answer(found)[0]


def list_commissions(db, principal, filters=None) -> dict:
    """Editors see every commission; anyone else those addressed to them (and, for a
    unit admin, to their units). ``state`` keeps one of open, overdue, answered."""
    principal = load_principal(principal)
    filters = dict(filters or {})
    state = filters.get("state") or None
    if state is not None and state not in COMMISSION_STATES:
        raise ValidationFailed("some fields are invalid", {"state": [
            "Must be one of: {choices}.".format(choices=", ".join(COMMISSION_STATES))]})
    everyone = may(principal, PUBLISH) and \
        str(filters.get("mine", "")).lower() not in ("1", "true", "yes")
    units = principal["unit_ids"] if has_role(principal, "unit_admin") else []
    with db.unit_of_work(read_only=True) as uow:
        found = OfficeRepository(uow).commissions(
            None if everyone else (principal["id"], units))
    items = [c for c in _commissions_answer(found) if state in (None, c["state"])]
    return {"items": items, "total": len(items)}


def _commissions_answer(rows) -> list:
    today = officetime.today()
    return [reusable(CommissionSchema).dump(
        {**row, "state": domain.commission_state(row, row["answered_at"], today)})
        for row in rows]


# --- notices ------------------------------------------------------------------------
def add_notice(db, principal, payload) -> dict:
    """A notice is published as it is made; its files follow (each told with it)."""
    principal = load_principal(principal)
    require(principal, PUBLISH)
    data = load_contract(NoticeInput, payload)
    row = {**data, "id": str(uuid.uuid4()), "created_by": principal["id"],
           "created_at": utcnow()}
    with db.unit_of_work() as uow:
        repo = OfficeRepository(uow)
        repo.add_notice(row)
        repo.emit(events.new_event("notice_published", principal["id"], notice_id=row["id"],
                                   title=row["title"]))
        uow.commit()
    return reusable(NoticeSchema).dump({**row, "files": []})


def list_notices(db, principal, filters=None) -> dict:
    load_principal(principal)
    paging = load_page(filters or {})
    with db.unit_of_work(read_only=True) as uow:
        repo = OfficeRepository(uow)
        rows, total = repo.notices(**paging)
        files = repo.notice_files([r["id"] for r in rows])
    return {"items": reusable(NoticeSchema, many=True).dump(
        [{**r, "files": files.get(r["id"], [])} for r in rows]), "total": total, **paging}


def get_notice(db, principal, notice_id) -> dict:
    load_principal(principal)
    with db.unit_of_work(read_only=True) as uow:
        repo = OfficeRepository(uow)
        row = repo.notice(notice_id)
        if row is None:
            raise NotFound(f"no notice {notice_id}")
        files = repo.notice_files([notice_id]).get(notice_id, [])
    return reusable(NoticeSchema).dump({**row, "files": files})


def add_notice_file(db, principal, notice_id, blob) -> dict:
    """Record a file the gateway stored on a notice (refused, and the bytes dropped,
    unless an editor adds it to a notice that exists)."""
    principal = load_principal(principal)
    require(principal, PUBLISH)
    blob = load_contract(AttachmentClaim, blob)
    with db.unit_of_work() as uow:
        repo = OfficeRepository(uow)
        if repo.notice(notice_id) is None:
            raise NotFound(f"no notice {notice_id}")
        lock(uow, f"intake:notice:{notice_id}")  # the count below holds until commit
        if len(repo.notice_files([notice_id]).get(notice_id, [])) >= MAX_NOTICE_FILES:
            raise ValidationFailed("some fields are invalid", {"file": [
                "At most {max} files on one notice.".format(max=MAX_NOTICE_FILES)]})
        row = {**blob, "id": str(uuid.uuid4()), "notice_id": notice_id,
               "uploaded_by": principal["id"], "created_at": utcnow()}
        repo.add_notice_file(row)
        uow.commit()
    return reusable(AttachmentSchema).dump(row)


def notice_file_to_send(db, principal, notice_id, file_id) -> dict:
    load_principal(principal)
    with db.unit_of_work(read_only=True) as uow:
        found = [f for f in OfficeRepository(uow).notice_files(
            [notice_id], with_keys=True).get(notice_id, []) if f["id"] == file_id]
    if not found:
        raise NotFound(f"no file {file_id}")
    return {**reusable(AttachmentSchema).dump(found[0]), "key": found[0]["key"]}
