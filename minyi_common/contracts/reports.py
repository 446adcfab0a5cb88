"""A report as intake answers it: what it says, who wrote it, what became of it.
"""
from marshmallow import Schema, fields



class HistorySchema(Schema):
    at = fields.AwareDateTime()
    actor_id = fields.String(allow_none=True)
    action = fields.String()
    comment = fields.String(allow_none=True)


class ReportFields(Schema):
    """What a report says, who wrote it and what became of it: in intake's answers and
    review's alike."""
    status = fields.String()
    author_id = fields.String()
    co_author_ids = fields.List(fields.String())
    unit_id = fields.String(allow_none=True)
    title = fields.String()
    situation = fields.String()
    analysis = fields.String()
    suggestions = fields.String()
    category = fields.String()
    consent_to_publish = fields.Boolean()
    urgent = fields.Boolean()
    handoff_unit_id = fields.String(allow_none=True)
    decision = fields.Dict(allow_none=True)
    outcomes = fields.List(fields.Dict())


class ReportSchema(ReportFields):
    """A report as intake answers it over RPC."""
    id = fields.String()
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    submitted_at = fields.AwareDateTime(allow_none=True)
    history = fields.List(fields.Nested(HistorySchema))
