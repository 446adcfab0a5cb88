"""A report as intake answers it: what it says, who wrote it, what became of it.
"""
from marshmallow import RAISE, Schema, fields, validate

from .federation import Credit



class HistorySchema(Schema):
    at = fields.AwareDateTime(required=True)
    actor_id = fields.String(required=True, allow_none=True)
    action = fields.String(required=True)
    comment = fields.String(required=True, allow_none=True)


class EditedText(Schema):
    """The editor's edit (核稿): the parts of the text the editor changed."""
    title = fields.String()
    situation = fields.String()
    analysis = fields.String()
    suggestions = fields.String()


class Decision(Schema):
    """What the office decided, and for an adoption where it was published."""
    kind = fields.String(required=True, metadata={"description": "the status it led to"})
    at = fields.String(required=True, metadata={"description": "when, ISO 8601 (UTC)"})
    by = fields.String(metadata={"description": "the editor (on review's side)"})
    comment = fields.String(allow_none=True)
    reason_code = fields.String(metadata={"description": "a rejection's reason"})
    handoff_unit_id = fields.String(metadata={"description": "a local matter's town office"})
    handoff_unit_name = fields.String()
    mode = fields.String(metadata={"description": "an adoption's mode: single or merged"})
    piece_id = fields.String()
    merged_into = fields.String(metadata={"description": "the merged piece"})
    issue_id = fields.String(allow_none=True)
    issue_label = fields.String(allow_none=True, metadata={"description": "2026年第12期"})
    edited = fields.Nested(EditedText, allow_none=True)


class Outcome(Schema):
    """What became of an adopted report: 报送, 上级采用, 部门采用, 领导批示."""
    id = fields.String(metadata={"description": "files hang on it (批示件); shared by the "
                                                "sources of a merged piece"})
    kind = fields.String(required=True)
    level = fields.String(required=True)
    date = fields.String(required=True, metadata={"description": "an office day, 2026-10-01"})
    mode = fields.String(allow_none=True)
    target = fields.String(allow_none=True)
    leader = fields.String(allow_none=True)
    text = fields.String(allow_none=True)
    recorded_by = fields.String(metadata={"description": "the editor (on review's side)"})
    recorded_at = fields.String()


class ReportFields(Schema):
    """What a report says, who wrote it and what became of it: in intake's answers and
    review's alike."""
    status = fields.String(required=True)
    author_id = fields.String(required=True)
    co_author_ids = fields.List(fields.String(), required=True)
    unit_id = fields.String(required=True, allow_none=True)
    title = fields.String(required=True)
    situation = fields.String(required=True)
    analysis = fields.String(required=True)
    suggestions = fields.String(required=True)
    category = fields.String(required=True)
    consent_to_publish = fields.Boolean(required=True)
    urgent = fields.Boolean(required=True)
    decision = fields.Nested(Decision, required=True, allow_none=True)
    outcomes = fields.List(fields.Nested(Outcome), required=True)
    entered_by = fields.String(required=True, allow_none=True, metadata={
        "description": "代录: who typed it in for its author (null: the author did)"})
    received_on = fields.Date(required=True, allow_none=True, metadata={
        "description": "代录: the office day it was handed in; it counts in that period"})
    from_office = fields.String(required=True, allow_none=True, metadata={
        "description": "the lower office it came from by a link"})
    credited = fields.List(fields.Nested(Credit), required=True, allow_none=True, metadata={
        "description": "a lower office's report: its authors as that office credits them"})


class ReportSchema(ReportFields):
    """A report as intake answers it over RPC."""
    id = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)
    updated_at = fields.AwareDateTime(required=True)
    submitted_at = fields.AwareDateTime(required=True, allow_none=True)
    history = fields.List(fields.Nested(HistorySchema))
    topic_id = fields.String(required=True, allow_none=True)
    topic_title = fields.String(required=True, allow_none=True)
    commission_id = fields.String(required=True, allow_none=True)


class CoAuthorshipDeclined(Schema):
    """退出联名: the report one left, and when."""
    report_id = fields.String(required=True)
    declined_at = fields.AwareDateTime(required=True)


class DocxImport(Schema):
    """从Word导入: the form's fields read from a .docx, and what could not be placed."""
    title = fields.String(required=True)
    situation = fields.String(required=True)
    analysis = fields.String(required=True)
    suggestions = fields.String(required=True)
    warnings = fields.List(fields.String(), required=True, metadata={
        "description": "what the person should check: text not placed, parts missing or "
                       "too long, tables turned into text, pictures left out (Chinese)"})


class AttachmentSchema(Schema):
    """A file on a report: what it is, by the bytes kept (docs/reports.md)."""
    id = fields.String(required=True)
    name = fields.String(required=True)
    size = fields.Integer(required=True, metadata={"description": "bytes kept"})
    content_type = fields.String(required=True)
    sha256 = fields.String(required=True, metadata={"description": "of the bytes kept"})
    uploaded_by = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)


class Attachments(Schema):
    items = fields.List(fields.Nested(AttachmentSchema), required=True)


class OutcomeAttachment(AttachmentSchema):
    """A file on an outcome (the scanned 批示件)."""
    outcome_id = fields.String(required=True)


class OutcomeAttachments(Schema):
    items = fields.List(fields.Nested(OutcomeAttachment), required=True)


class AttachmentClaim(Schema):
    """What the gateway tells the owner of a file it stored (never the bytes)."""

    class Meta:
        unknown = RAISE

    key = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{32}$"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    size = fields.Integer(required=True, validate=validate.Range(min=0, max=20 * 1024 * 1024))
    content_type = fields.String(required=True)
    sha256 = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
