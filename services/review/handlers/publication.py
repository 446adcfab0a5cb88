"""Publication issues (期) of the office's 《社情民意》: composing them from adopted pieces
and producing the .docx the office prints and sends."""
import base64
import uuid

from sqlalchemy.exc import IntegrityError

from minyi_common import officetime
from minyi_common.words import EDITORIAL_OFFICE, ORGANS
from minyi_common.contracts import (IssueSchema, PieceSchema, issue_label, load_page)
from minyi_common.db import utcnow
from minyi_common.errors import Conflict, NotFound, ValidationFailed

from .. import domain
from ..adapters import docx_issue
from ..adapters.repository import ReviewRepository

IMPRINT = ("published_on", "total_number", "signed_by", "report_to", "send_to",
           "editor_name", "copies")


def _known_issue(repo, issue_id) -> dict:
    issue = repo.issue(issue_id)
    if issue is None:
        raise NotFound(f"no issue {issue_id}")
    return issue


def attach_to_issue(repo, issue_id: str, piece_id: str) -> dict:
    """Put a piece at the end of an issue (adoption may name the issue)."""
    issue = repo.issue(issue_id)
    if issue is None:
        raise ValidationFailed("unknown issue", {"issue_id": [f"No issue {issue_id}."]})
    position = repo.last_position(issue_id) + 1
    repo.place_piece(piece_id, issue_id, position)
    return {"issue_id": issue_id, "position": position,
            "issue_label": issue_label(issue["year"], issue["number"])}


def _issue(repo, issue_id) -> dict:
    issue = _known_issue(repo, issue_id)
    if issue["total_number"] is None:
        # 总第M期 when the editor did not set it: this issue's place among all issues.
        issue["total_number"] = repo.issues_up_to(issue["year"], issue["number"])
    issue["pieces"] = repo.pieces_of_issue(issue_id)
    return issue


def _assign(repo, issue_id, piece_ids) -> None:
    """Make ``piece_ids``, in this order, the issue's pieces."""
    found = repo.issues_of_pieces(piece_ids)
    unknown = [p for p in piece_ids if p not in found]
    taken = [p for p in piece_ids if p in found and found[p] not in (None, issue_id)]
    if unknown or taken or len(set(piece_ids)) != len(piece_ids):
        problems = [f"Unknown pieces: {', '.join(unknown)}."] if unknown else []
        problems += [f"Already in another issue: {', '.join(taken)}."] if taken else []
        problems += ["A piece is listed twice."] if len(set(piece_ids)) != len(piece_ids) else []
        raise ValidationFailed("some pieces cannot go in this issue", {"piece_ids": problems})
    repo.take_out_of_issue_all_but(issue_id, piece_ids)
    for position, piece_id in enumerate(piece_ids, start=1):
        repo.place_piece(piece_id, issue_id, position)


def create_issue(db, principal, payload) -> dict:
    principal = domain.as_editor(principal)
    data = domain.load_input("issue", payload)
    with db.unit_of_work() as uow:
        repo = ReviewRepository(uow)
        if repo.issue_numbered(data["year"], data["number"]):
            raise Conflict(f"{issue_label(data['year'], data['number'])} exists already")
        issue_id = str(uuid.uuid4())
        imprint = {k: data[k] for k in IMPRINT if k != "published_on"}
        repo.add_issue(dict(
            id=issue_id, year=data["year"], number=data["number"],
            published_on=data["published_on"] or officetime.today(), created_by=principal["id"],
            created_at=utcnow(), **imprint))
        _assign(repo, issue_id, data["piece_ids"])
        issue = _issue(repo, issue_id)
        try:
            uow.commit()
        except IntegrityError:  # another editor made the same number a moment ago
            raise Conflict(f"{issue_label(data['year'], data['number'])} exists already") \
                from None
    return IssueSchema().dump(issue)


def update_issue(db, principal, issue_id, payload) -> dict:
    """Change what the printed issue says (签发, 版记, date, 总第M期); pieces stay."""
    domain.as_editor(principal)
    data = domain.load_input("imprint", payload)
    changes = {k: data[k] for k in IMPRINT if k in payload}
    if changes.get("published_on", 1) is None:
        changes.pop("published_on")  # the date is never empty
    with db.unit_of_work() as uow:
        repo = ReviewRepository(uow)
        _known_issue(repo, issue_id)
        if changes:
            repo.change_issue(issue_id, changes)
        issue = _issue(repo, issue_id)
        uow.commit()
    return IssueSchema().dump(issue)


def set_issue_pieces(db, principal, issue_id, payload) -> dict:
    domain.as_editor(principal)
    if not isinstance(payload, dict) or not isinstance(payload.get("piece_ids"), list) \
            or not all(isinstance(p, str) for p in payload["piece_ids"]):
        raise ValidationFailed("piece_ids is a list of piece ids",
                               {"piece_ids": ["A list of piece ids, in order."]})
    with db.unit_of_work() as uow:
        repo = ReviewRepository(uow)
        _known_issue(repo, issue_id)
        _assign(repo, issue_id, payload["piece_ids"])
        issue = _issue(repo, issue_id)
        uow.commit()
    return IssueSchema().dump(issue)


def get_issue(db, principal, issue_id) -> dict:
    domain.as_editor(principal)
    with db.unit_of_work(read_only=True) as uow:
        return IssueSchema().dump(_issue(ReviewRepository(uow), issue_id))


def list_issues(db, principal, filters) -> dict:
    domain.as_editor(principal)
    paging = load_page(filters)
    with db.unit_of_work(read_only=True) as uow:
        total, rows = ReviewRepository(uow).issues_page(paging["page"], paging["page_size"])
    return {"items": IssueSchema(many=True, exclude=("pieces",)).dump(rows), "total": total,
            **paging}


def list_pieces(db, principal, filters) -> dict:
    domain.as_editor(principal)
    filters = dict(filters or {})
    paging = load_page(filters)
    unassigned = str(filters.get("unassigned", "")).lower() in ("1", "true", "yes")
    with db.unit_of_work(read_only=True) as uow:
        total, rows = ReviewRepository(uow).pieces_page(unassigned, paging["page"],
                                                        paging["page_size"])
    return {"items": PieceSchema(many=True).dump(rows), "total": total, **paging}


def _credit(repo, report_ids, level: str) -> str:
    """The credit line: each report's unit and authors (a lower office's report: its
    authors as that office credits them), 本刊编辑部 for a report whose author did not
    consent to publication (是否同意公开). A member without a unit is
    credited as a member (县政协委员 张三), never as 特邀信息员."""
    parts = []
    for case in repo.cases_in_submission_order(report_ids):
        if not case["consent_to_publish"]:
            text = EDITORIAL_OFFICE
        elif case.get("credited"):  # from a lower office: its authors as it credits them
            text = "；".join(f"{c['unit']} {c['name']}" if c.get("unit") else c["name"]
                            for c in case["credited"])
        else:
            ids = [case["author_id"]] + (case["co_author_ids"] or [])
            known = repo.people(ids)
            names = "、".join(known[i]["display_name"] for i in ids if i in known)
            unit = repo.unit(case["unit_id"]) if case["unit_id"] else None
            author = known.get(case["author_id"])
            if unit:
                text = f"{unit['name']} {names}"
            elif author is not None and "member" in author["roles"]:
                text = f"{ORGANS[level]}委员 {names}"
            else:
                text = names or EDITORIAL_OFFICE
        if text not in parts:
            parts.append(text)
    return "；".join(parts)


def issue_docx(db, settings, principal, issue_id) -> dict:
    domain.as_editor(principal)
    with db.unit_of_work(read_only=True) as uow:
        repo = ReviewRepository(uow)
        issue = _issue(repo, issue_id)
        for piece in issue["pieces"]:
            piece["credit"] = _credit(repo, piece["source_report_ids"], settings.level)
    label = issue_label(issue["year"], issue["number"])
    content = docx_issue.render_issue(settings.office_name, issue, issue["pieces"])
    return {"filename": f"社情民意{label}.docx",
            "content_base64": base64.b64encode(content).decode("ascii")}


def piece_docx(db, settings, principal, piece_id, options=None) -> dict:
    """专报: one adopted piece as a report to leaders."""
    domain.as_editor(principal)
    options = domain.load_input("special_report", {k: v for k, v in (options or {}).items()
                                                   if v not in (None, "")})
    with db.unit_of_work(read_only=True) as uow:
        repo = ReviewRepository(uow)
        piece = repo.piece(piece_id)
        if piece is None:
            raise NotFound(f"no report or piece {piece_id} in review")
        piece["credit"] = _credit(repo, piece["source_report_ids"], settings.level)
    content = docx_issue.render_special_report(
        settings.office_name, piece, options["published_on"] or officetime.today(),
        options["signed_by"], options["report_to"])
    return {"filename": f"社情民意专报-{piece['title']}.docx",
            "content_base64": base64.b64encode(content).decode("ascii")}
