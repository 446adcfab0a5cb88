"""报送 between installs (docs/federation.md), review's part: an editor forwards an adopted
piece up a link, and its source reports are forwarded at the link's level at once; what
the upper office then does with it comes back (an event from notify) and is recorded on
the same reports, as that level's outcome or as a line in their history."""
import uuid
from datetime import date

from minyi_common import events, officetime, words
from minyi_common.contracts import ForwardAnswer, reusable
from minyi_common.db import handle_each, utcnow
from minyi_common.errors import Conflict, NotFound, ValidationFailed
from minyi_common.events import LEVELS

from .. import domain
from ..adapters.repository import ReviewRepository
from .decisions import record_outcome_on_sources

# Who records what comes by a link: no person of this office.
BY_LINK = {"id": None, "roles": []}


def forward_piece(db, settings, principal, piece_id, link) -> dict:
    """Send an adopted piece up to ``link`` ({id, name, level}, an upper office's)."""
    principal = domain.as_editor(principal)
    if LEVELS.index(link["level"]) <= LEVELS.index(settings.level):
        raise ValidationFailed("some fields are invalid", {"link_id": [
            "The link's office is not above this one."]})
    with db.unit_of_work() as uow:
        repo = ReviewRepository(uow)
        piece = repo.piece(piece_id, for_update=True)
        if piece is None:
            raise NotFound(f"no report or piece {piece_id} in review")
        if piece["forwarded_link_id"]:
            raise Conflict("this piece has been forwarded up a link already")
        sources = [repo.case(report_id, for_update=True)
                   for report_id in sorted(piece["source_report_ids"])]
        record_outcome_on_sources(repo, settings, principal, sources, {
            "kind": "forwarded", "level": link["level"], "date": officetime.today(),
            "target": link["name"], "mode": None, "leader": None, "text": None})
        repo.mark_forwarded(piece_id, link["id"], link["level"])
        repo.emit(events.new_event("piece_forwarded", principal["id"], None,
                                   piece_id=piece_id, link_id=link["id"],
                                   message=_piece_message(repo, piece, sources)))
        uow.commit()
    return reusable(ForwardAnswer).dump({"piece_id": piece_id, "link_id": link["id"],
                                         "level": link["level"],
                                         "report_ids": [c["report_id"] for c in sources]})


def _piece_message(repo, piece, sources) -> dict:
    """What travels up: the piece's text, what its reports say of themselves, and their
    authors by name and unit as text. No ids of people, no contact details, no files."""
    credited = []
    people = repo.people({p for c in sources for p in (c["author_id"], *c["co_author_ids"])})
    for case in sources:
        if case.get("credited"):  # it came from a lower office: credited as it was there
            credited += case["credited"]
            continue
        unit = repo.unit(case["unit_id"]) if case.get("unit_id") else None
        for person_id in (case["author_id"], *case["co_author_ids"]):
            person = people.get(person_id)
            if person:
                credited.append({"name": person["display_name"],
                                 "unit": unit["name"] if unit else None})
    return {"title": piece["title"], "situation": piece["situation"],
            "analysis": piece["analysis"], "suggestions": piece["suggestions"],
            "category": sources[0]["category"],
            "urgent": any(c["urgent"] for c in sources),
            "consent_to_publish": all(c["consent_to_publish"] for c in sources),
            "credited": credited[:100] or [{"name": words.EDITORIAL_OFFICE, "unit": None}]}


def on_link_decision_events(db, settings, *events_) -> None:
    """What an upper office did with a piece sent up: an adoption is that level's
    upstream adoption, an outcome the same outcome at the same level, a retention or
    rejection a line in each source report's history."""
    def apply(uow, event):
        repo = ReviewRepository(uow)
        piece = repo.piece(event["piece_id"], for_update=True)
        if piece is None:
            raise NotFound(f"no piece {event['piece_id']}")  # retried, then dead-lettered
        message = event["message"]
        sources = [repo.case(report_id, for_update=True)
                   for report_id in sorted(piece["source_report_ids"])]
        decision = message["decision"]
        if decision in ("retained", "rejected"):
            line = f"{event['link_name']}{words.UPPER_DECISIONS[decision]}"
            if message.get("comment"):
                line += f"：{message['comment']}"
            repo.add_history(*[dict(report_id=c["report_id"], at=utcnow(), actor_id=None,
                                    action=f"upper_{decision}", comment=line)
                               for c in sources])
            return
        if decision == "adopted":
            outcome = {"kind": "upstream_adopted", "level": event["link_level"],
                       "date": message["date"], "mode": message["mode"],
                       "target": event["link_name"], "leader": None, "text": None}
        else:
            outcome = {"mode": None, "target": None, "leader": None, "text": None,
                       **message["outcome"]}
        outcome["date"] = _date(outcome["date"])
        record_outcome_on_sources(repo, settings, BY_LINK, sources, outcome,
                                  outcome_id=str(uuid.uuid5(uuid.NAMESPACE_URL,
                                                            f"minyi:{event['event_id']}")))
    handle_each(db, "review", list(events_), apply)


def _date(value):
    return value if isinstance(value, date) else date.fromisoformat(value)
