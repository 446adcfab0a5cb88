"""Event contracts (docs/architecture.md): the envelope every event carries and each type's fields.

Producers validate before writing to their outbox, consumers validate on arrival; both
use these schemas, so a contract change is made here once. Consumers ignore fields they
do not know (``EXCLUDE``) so that a producer may add fields without breaking them.
"""
import uuid
from datetime import datetime, timezone

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from .contracts.content import LEVELS, MODES, OUTCOME_KINDS, reusable
from .errors import ValidationFailed

SCHEMA_VERSION = 1


class Envelope(Schema):
    event_id = fields.UUID(required=True)
    event_type = fields.String(required=True)
    occurred_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    actor_id = fields.String(required=True, allow_none=True)
    report_id = fields.String(load_default=None, allow_none=True)
    schema_version = fields.Integer(required=True, validate=validate.Range(min=1))


class PersonRecord(Schema):
    id = fields.String(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    roles = fields.List(fields.String(), required=True)
    unit_ids = fields.List(fields.String(), required=True)
    email = fields.String(load_default=None, allow_none=True)
    # Their mobile, for SMS notices (notify alone keeps it).
    phone = fields.String(load_default=None, allow_none=True)
    # Their WeCom UserID, for app messages (notify alone keeps it).
    wecom_userid = fields.String(load_default=None, allow_none=True)
    active = fields.Boolean(required=True)
    # The directory's row version: copies keep the newest snapshot (events of one record
    # may arrive out of order). 0 from producers that predate it.
    version = fields.Integer(load_default=0)


class UnitRecord(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    version = fields.Integer(load_default=0)


class ReportRecord(Schema):
    """Who a report belongs to and what it says: enough for every consumer to act alone."""
    id = fields.String(required=True)
    author_id = fields.String(required=True)
    co_author_ids = fields.List(fields.String(), required=True)
    unit_id = fields.String(required=True, allow_none=True)
    title = fields.String(required=True)
    category = fields.String(required=True)
    situation = fields.String(load_default="")
    analysis = fields.String(load_default="")
    suggestions = fields.String(load_default="")
    consent_to_publish = fields.Boolean(load_default=True)
    # 苗头性、预警性: editors are told at once and see it first (docs/office.md).
    urgent = fields.Boolean(load_default=False)
    submitted_at = fields.AwareDateTime(required=True, default_timezone=timezone.utc)
    # 代录: who typed it for its author, and the day it was handed in (it counts then).
    entered_by = fields.String(load_default=None, allow_none=True)
    received_on = fields.Date(load_default=None, allow_none=True)
    # A report that came by a link from a lower office: no author account; its authors
    # as the lower office credits them (name and unit, as text), and that office.
    credited = fields.List(fields.Dict(), load_default=None, allow_none=True)
    from_office = fields.String(load_default=None, allow_none=True)
    # 年度选题: the topic it was written on (the 通报 counts per topic).
    topic_id = fields.String(load_default=None, allow_none=True)
    topic_title = fields.String(load_default=None, allow_none=True)


class CommissionRecord(Schema):
    """约稿 as its addressee is told of it."""
    id = fields.String(required=True)
    person_id = fields.String(required=True, allow_none=True)
    unit_id = fields.String(required=True, allow_none=True)
    title = fields.String(required=True)
    due_on = fields.Date(required=True)


class Outcome(Schema):
    # Shared by the sources of a merged piece; none on outcomes recorded before ids.
    id = fields.String(load_default=None, allow_none=True)
    kind = fields.String(required=True, validate=validate.OneOf(OUTCOME_KINDS))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    date = fields.Date(required=True)
    mode = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(MODES))
    target = fields.String(load_default=None, allow_none=True)
    leader = fields.String(load_default=None, allow_none=True)
    text = fields.String(load_default=None, allow_none=True)


class HandoffRecord(Schema):
    """A hand-off (转办) as it stands after the event: enough for notices and the 通报."""
    id = fields.String(required=True)
    unit_id = fields.String(required=True)
    unit_name = fields.String(required=True)
    due_on = fields.Date(required=True)
    note = fields.String(load_default=None, allow_none=True)
    created_by = fields.String(required=True)
    resolution = fields.String(load_default=None, allow_none=True)
    rating = fields.String(load_default=None, allow_none=True)


def _handoff_fields(**extra):
    return {"report": fields.Nested(ReportRecord, required=True, unknown=EXCLUDE),
            "handoff": fields.Nested(HandoffRecord, required=True, unknown=EXCLUDE), **extra}


def _decision_fields(**extra):
    return {"report": fields.Nested(ReportRecord, required=True, unknown=EXCLUDE),
            "comment": fields.String(load_default=None, allow_none=True), **extra}


PAYLOADS = {
    "directory.person_upserted": {"person": fields.Nested(PersonRecord, required=True,
                                                          unknown=EXCLUDE)},
    "directory.unit_upserted": {"unit": fields.Nested(UnitRecord, required=True,
                                                      unknown=EXCLUDE)},
    "report_submitted": {"report": fields.Nested(ReportRecord, required=True, unknown=EXCLUDE)},
    "report_resubmitted": {"report": fields.Nested(ReportRecord, required=True,
                                                   unknown=EXCLUDE)},
    "report_withdrawn": {"report": fields.Nested(ReportRecord, required=True, unknown=EXCLUDE)},
    # A past report imported with what became of it (往期信息): no notices follow.
    "report_imported": {
        "report": fields.Nested(ReportRecord, required=True, unknown=EXCLUDE),
        "status": fields.String(required=True, validate=validate.OneOf(
            ("submitted", "adopted", "retained", "rejected"))),
        "mode": fields.String(load_default=None, allow_none=True,
                              validate=validate.OneOf(MODES)),
        "decided_on": fields.Date(load_default=None, allow_none=True),
        "outcomes": fields.List(fields.Nested(Outcome), load_default=list)},
    # A co-author left (退出联名): the record as it is now, without them.
    "report_co_author_declined": {
        "report": fields.Nested(ReportRecord, required=True, unknown=EXCLUDE),
        "person_id": fields.String(required=True),
        "person_name": fields.String(load_default=None, allow_none=True)},
    "report_returned": _decision_fields(),
    "report_retained": _decision_fields(),
    "report_rejected": _decision_fields(
        reason_code=fields.String(required=True),
        # A local matter handed to a town office (转交): its unit admins see the report.
        handoff_unit_id=fields.String(load_default=None, allow_none=True),
        handoff_unit_name=fields.String(load_default=None, allow_none=True)),
    "report_adopted": _decision_fields(
        mode=fields.String(required=True, validate=validate.OneOf(MODES)),
        level=fields.String(required=True, validate=validate.OneOf(LEVELS)),
        issue_id=fields.String(load_default=None, allow_none=True),
        issue_label=fields.String(load_default=None, allow_none=True),
        piece_id=fields.String(load_default=None, allow_none=True),
        merged_into=fields.String(load_default=None, allow_none=True),
        edited=fields.Dict(load_default=None, allow_none=True),
        decided_on=fields.Date(required=True)),
    "report_forwarded": _decision_fields(outcome=fields.Nested(Outcome, required=True)),
    "report_outcome_recorded": _decision_fields(outcome=fields.Nested(Outcome, required=True)),
    "points_changed": {"person_id": fields.String(required=True),
                       "period": fields.String(required=True),
                       "points": fields.Float(required=True),
                       "previous_points": fields.Float(required=True)},
    "quota_reminder_due": {"person_id": fields.String(required=True),
                           "quarter": fields.String(required=True),
                           "quota": fields.Integer(required=True),
                           "submitted": fields.Integer(required=True),
                           "owed": fields.Integer(required=True)},
    "bulletin_published": {"period": fields.String(required=True),
                           "url": fields.String(required=True)},
    # 申诉: an editor resolved a person's appeal of one of their score lines.
    # What the office asks for and publishes (docs/office-voice.md): a commission is
    # told to its person or its unit's admins, a notice to everyone.
    "commission_issued": {"commission": fields.Nested(CommissionRecord, required=True,
                                                      unknown=EXCLUDE)},
    "notice_published": {"notice_id": fields.String(required=True),
                         "title": fields.String(required=True)},
    "appeal_resolved": {"person_id": fields.String(required=True),
                        "appeal_id": fields.String(required=True),
                        "accepted": fields.Boolean(required=True),
                        "comment": fields.String(required=True),
                        "line": fields.Dict(required=True)},
    # 转办: a report handed to a town office or department, its reply (办复), the
    # author's rating, and the reminders before the due date and once it is overdue.
    "handoff_created": _handoff_fields(),
    "handoff_replied": _handoff_fields(),
    "handoff_rated": _handoff_fields(),
    "handoff_reminder_due": _handoff_fields(reminder=fields.String(
        required=True, validate=validate.OneOf(("due_soon", "overdue")))),
    # 报送 between installs (docs/federation.md). An editor forwarded a piece up a link:
    # notify sends ``message`` (a federation PieceMessage without id and seq).
    "piece_forwarded": {"piece_id": fields.String(required=True),
                        "link_id": fields.String(required=True),
                        "message": fields.Dict(required=True)},
    # A lower office's piece arrived (checked and new): intake makes it a report with
    # this id, from the link's lower_office unit.
    "link_piece_received": {"link_id": fields.String(required=True),
                            "unit_id": fields.String(required=True),
                            "new_report_id": fields.String(required=True),
                            "message": fields.Dict(required=True)},
    # The upper office decided on one of this office's forwarded pieces, or recorded an
    # outcome on it: review records it on the piece's source reports.
    "link_decision_received": {"piece_id": fields.String(required=True),
                               "link_id": fields.String(required=True),
                               "link_name": fields.String(required=True),
                               "link_level": fields.String(required=True,
                                                           validate=validate.OneOf(LEVELS)),
                               "message": fields.Dict(required=True)},
}

EVENT_TYPES = tuple(PAYLOADS)

_SCHEMAS = {
    event_type: Envelope.from_dict(dict(payload), name=f"Event[{event_type}]")
    for event_type, payload in PAYLOADS.items()
}


def _schema(event_type: str, unknown) -> Schema:
    try:
        return reusable(_SCHEMAS[event_type], unknown=unknown)
    except KeyError:
        raise ValidationFailed(f"unknown event type {event_type!r}",
                               {"event_type": ["Unknown event type."]}) from None


def new_event(event_type: str, actor_id, report_id=None, **payload) -> dict:
    """Build a validated event body ready to be written to an outbox."""
    body = {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "occurred_at": datetime.now(timezone.utc).isoformat(),
        "actor_id": actor_id,
        "report_id": report_id,
        "schema_version": SCHEMA_VERSION,
        **payload,
    }
    schema = _schema(event_type, RAISE)
    try:
        # dump(load(...)) normalises dates and UUIDs to the JSON form consumers receive.
        return schema.dump(schema.load(body))
    except ValidationError as exc:
        raise ValidationFailed(f"invalid {event_type} event", exc.messages) from None


def parse_event(body: dict) -> dict:
    """Validate an arriving event; returns it with dates and UUIDs as Python objects."""
    if not isinstance(body, dict):
        raise ValidationFailed("an event body must be a JSON object")
    schema = _schema(body.get("event_type"), EXCLUDE)
    try:
        event = schema.load(body)
    except ValidationError as exc:
        raise ValidationFailed(f"invalid {body.get('event_type')} event", exc.messages) from None
    event["event_id"] = str(event["event_id"])
    return event
