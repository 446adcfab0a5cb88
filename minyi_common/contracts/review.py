"""Review's contracts: the cases editors decide, their decisions and outcomes, pieces
and issues (期).
"""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from .. import officetime
from .content import (LEVELS, MODES, OUTCOME_KINDS, REJECT_REASONS, StrictSchema, comment_field,
                      one_line, plain_text)
from .handoffs import HandoffInput, HandoffOnCase
from .reports import EditedText, HistorySchema, ReportFields


def issue_label(year: int, number: int) -> str:
    """2026, 12 → 2026年第12期"""
    return f"{year}年第{number}期"


class SimilarReport(Schema):
    """A report that reads like this one (a similarity hint), most alike first."""
    report_id = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    score = fields.Float(required=True)


class CaseSchema(ReportFields):
    """A report as review holds it: with the editor's edit and the piece it went into."""
    id = fields.String(attribute="report_id", required=True)
    submitted_at = fields.AwareDateTime(required=True)
    edited = fields.Nested(EditedText, required=True, allow_none=True)
    piece_id = fields.String(required=True, allow_none=True)
    version = fields.Integer(required=True)
    similar = fields.List(fields.Nested(SimilarReport))
    history = fields.List(fields.Nested(HistorySchema))
    handoffs = fields.List(fields.Nested(HandoffOnCase),
                           metadata={"description": "where it was handed (转办), on one case"})


class ReturnInput(StrictSchema):
    comment = comment_field(True)


class RetainInput(StrictSchema):
    comment = comment_field(False)


class QueueDays(StrictSchema):
    """The queue's date filter: office days (docs/office.md), both ends included."""
    submitted_from = fields.Date()
    submitted_to = fields.Date()


class RejectInput(StrictSchema):
    reason_code = fields.String(required=True, validate=validate.OneOf(REJECT_REASONS))
    comment = comment_field(True)
    handoff = fields.Nested(HandoffInput, load_default=None, allow_none=True, metadata={
        "description": "with local_matter: hand the matter to a town office or department "
                       "(转办) with a due date, in the same step"})
    handoff_unit_id = fields.String(load_default=None, allow_none=True, metadata={
        "deprecated": True,
        "description": "older form of handoff: that unit, due in 30 days"})

    @validates_schema
    def _handoff_is_local(self, data, **_):
        for name in ("handoff", "handoff_unit_id"):
            if data.get(name) and data.get("reason_code") != "local_matter":
                raise ValidationError("A hand-off goes with the reason local_matter.", name)
        if data.get("handoff") and data.get("handoff_unit_id"):
            raise ValidationError("Give handoff or handoff_unit_id, not both.",
                                  "handoff_unit_id")


class AdoptInput(StrictSchema):
    """The editor's edit (核稿) of what is published; the author's text stays as written."""
    title = fields.String(validate=[validate.Length(min=5, max=60), one_line])
    situation = fields.String(validate=[validate.Length(min=1, max=3000), plain_text])
    analysis = fields.String(validate=[validate.Length(min=1, max=3000), plain_text])
    suggestions = fields.String(validate=[validate.Length(min=1, max=3000), plain_text])
    issue_id = fields.String(load_default=None, allow_none=True)
    comment = comment_field(False)


class OutcomeInput(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(OUTCOME_KINDS))
    level = fields.String(required=True, validate=validate.OneOf(LEVELS))
    date = fields.Date(required=True)
    mode = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(MODES))
    target = fields.String(load_default=None, allow_none=True,
                           validate=[validate.Length(max=100), plain_text])
    leader = fields.String(load_default=None, allow_none=True,
                           validate=[validate.Length(max=100), plain_text])
    text = fields.String(load_default=None, allow_none=True,
                         validate=[validate.Length(max=2000), plain_text])

    @validates_schema
    def _kind_needs(self, data, **_):
        if data.get("kind") == "upstream_adopted" and not data.get("mode"):
            raise ValidationError("Upstream adoption needs a mode (single or merged).", "mode")
        if data.get("kind") == "instructed" and not data.get("leader"):
            raise ValidationError("An instruction needs the leader's title.", "leader")
        if data.get("date") and data["date"] > officetime.today():
            raise ValidationError("The date cannot be in the future.", "date")


class MergeInput(StrictSchema):
    report_ids = fields.List(fields.String(), required=True,
                             validate=validate.Length(min=2, max=50))
    title = fields.String(required=True, validate=[validate.Length(min=5, max=60), one_line])
    situation = fields.String(load_default=None, allow_none=True,
                              validate=[validate.Length(min=1, max=6000), plain_text])
    analysis = fields.String(required=True, validate=[validate.Length(min=1, max=6000),
                                                      plain_text])
    suggestions = fields.String(required=True, validate=[validate.Length(min=1, max=6000),
                                                         plain_text])
    issue_id = fields.String(load_default=None, allow_none=True)
    comment = comment_field(False)

    @validates_schema
    def _distinct(self, data, **_):
        ids = data.get("report_ids") or []
        if len(set(ids)) != len(ids):
            raise ValidationError("A report can be merged only once.", "report_ids")


def _imprint_line(max_length: int):
    return fields.String(load_default=None, allow_none=True,
                         validate=[validate.Length(max=max_length), plain_text])


class IssueImprint(StrictSchema):
    """What the printed issue says besides its pieces: 总第M期, 签发 and the 版记 lines."""
    published_on = fields.Date(load_default=None, allow_none=True)
    total_number = fields.Integer(load_default=None, allow_none=True,
                                  validate=validate.Range(min=1, max=99999))
    signed_by = _imprint_line(50)
    report_to = _imprint_line(200)
    send_to = _imprint_line(200)
    editor_name = _imprint_line(50)
    copies = fields.Integer(load_default=None, allow_none=True,
                            validate=validate.Range(min=1, max=10000))


class SpecialReportOptions(StrictSchema):
    """Query of GET /review/pieces/{id}/docx (专报)."""
    published_on = fields.Date(load_default=None, allow_none=True)
    signed_by = _imprint_line(50)
    report_to = _imprint_line(200)


class IssueInput(IssueImprint):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2999))
    number = fields.Integer(required=True, validate=validate.Range(min=1, max=999))
    piece_ids = fields.List(fields.String(), load_default=list)


class PieceSchema(Schema):
    id = fields.String(required=True)
    mode = fields.String(required=True)
    title = fields.String(required=True)
    situation = fields.String(required=True)
    analysis = fields.String(required=True)
    suggestions = fields.String(required=True)
    source_report_ids = fields.List(fields.String(), required=True)
    issue_id = fields.String(required=True, allow_none=True)
    position = fields.Integer(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    forwarded_level = fields.String(required=True, allow_none=True, metadata={
        "description": "the level of the upper office it was forwarded to by a link"})


class IssueSchema(Schema):
    id = fields.String(required=True)
    year = fields.Integer(required=True)
    number = fields.Integer(required=True)
    label = fields.Function(lambda i: issue_label(i["year"], i["number"]), required=True,
                            metadata={"type": "string", "example": "2026年第12期"})
    published_on = fields.Date(required=True)
    total_number = fields.Integer(required=True, allow_none=True)
    signed_by = fields.String(required=True, allow_none=True)
    report_to = fields.String(required=True, allow_none=True)
    send_to = fields.String(required=True, allow_none=True)
    editor_name = fields.String(required=True, allow_none=True)
    copies = fields.Integer(required=True, allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    pieces = fields.List(fields.Nested(PieceSchema))


class IssuePiecesInput(Schema):
    piece_ids = fields.List(fields.String(), required=True)


class PieceOutcomes(Schema):
    piece_id = fields.String()
    outcome_id = fields.String(metadata={"description": "the outcome's id on every source"})
    reports = fields.List(fields.Nested(CaseSchema))
