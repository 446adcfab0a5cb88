"""Every payload that crosses a boundary, one module per context: the API's request and
answer bodies, shared by the gateway (which documents them in OpenAPI) and the service
behind each route (which validates and answers with them), and the principal every call
carries. Contracts only: no behaviour beyond field rules. Event bodies are in
``minyi_common.events``.
"""
from .content import (CATEGORIES, LEVELS, MODES, OUTCOME_KINDS, PageSchema, REJECT_REASONS,
                      REPORT_STATUSES, ROLES, ReportInputSchema, StrictSchema, UNIT_KINDS,
                      comment_field, load_contract, load_page, load_report_input,
                      mainland_mobile, one_line,
                      plain_text, reusable)
from .principal import (MAY, PrincipalSchema, has_role, load_principal, may, require,
                        require_role)
from .reports import (AttachmentClaim, Attachments, AttachmentSchema, OutcomeAttachment,
                      OutcomeAttachments, CoAuthorshipDeclined, Decision, DocxImport, EditedText, HistorySchema, Outcome,
                      ReportFields, ReportSchema)
from .federation import (Credit, DecisionMessage, ForwardAnswer, ForwardInput,
                         InboundAnswer, LinkInput, LinkSchema, Links, MAX_MESSAGE_BYTES,
                         PieceMessage)
from .handoffs import (HandoffInput, HandoffListFilters, HandoffRatingInput,
                       HandoffReplyInput, HandoffSchema, Handoffs)
from .review import (AdoptInput, CaseSchema, IssueImprint, IssueInput, IssuePiecesInput,
                     IssueSchema, MergeInput, OutcomeInput, PieceOutcomes, PieceSchema,
                     QueueDays, RejectInput, RetainInput, ReturnInput, SimilarReport,
                     SpecialReportOptions, issue_label)
from .scoring import (APPEAL_STATUSES, AdjustmentInput, AdjustmentSchema, AppealInput,
                      AppealResolution,
                      AppealSchema, AwardedUnit, MemberRecord, MemberRecords, Awards, Bulletin, BulletinRow, DEFAULT_COAUTHOR_SHARE,
                      LineSchema, NotableReport, OfficeFigures, PublishedBulletin,
                      PublishedBulletins, QUOTA_ROLES, Quota, QuotaInput, QuotaRow,
                      RemindersAnswer, RemindersInput, Rule, RuleInput, RuleSetInput,
                      RuleSetOutput, SCORING_EVENTS, ScoreCheck, Scores, StandingRow,
                      Standings, UnitGroup)
from .office import (COMMISSION_STATES, CommissionInput, Commissions, CommissionSchema, NoticeInput,
                     NoticeSchema, TopicFilter, TopicInput, TopicSchema, Topics)
from .notify import (DeliverySchema, Inbox, NotificationSchema, Preferences, PreferencesInput,
                     WEBHOOK_EVENT_TYPES, WebhookInput, WebhookSchema)
from .directory import (BacklogImport, ImportProblem, IssuedPassword, PasswordChange, PasswordChanged,
                        PasswordReset, PersonHit, RosterImport, USERNAME_RULE, UnitInput,
                        UnitOutput, UserInput, UserOutput, WECOM_USERID_RULE)
from .gateway import (AuditEntry, Deleted, Health, LoggedOut, LoginAnswer, LoginInput, MeAnswer,
                      Readiness, SessionAnswer, SmsCodeAnswer, SmsCodeInput)

__all__ = ["APPEAL_STATUSES", "AdjustmentInput", "AdjustmentSchema", "AppealInput", "AppealResolution",
           "AppealSchema", "MemberRecord", "MemberRecords", "AdoptInput", "AuditEntry", "AwardedUnit", "Awards", "Bulletin", "BulletinRow", "CATEGORIES",
           "CaseSchema", "DEFAULT_COAUTHOR_SHARE", "Decision", "Deleted", "DeliverySchema",
           "Credit", "DecisionMessage", "ForwardAnswer", "ForwardInput", "InboundAnswer",
           "LinkInput", "LinkSchema", "Links", "MAX_MESSAGE_BYTES", "PieceMessage",
           "EditedText", "HandoffInput", "HandoffListFilters", "HandoffRatingInput",
           "HandoffReplyInput", "HandoffSchema", "Handoffs", "Health", "HistorySchema", "ImportProblem", "Inbox",
           "IssueImprint", "IssueInput", "IssuePiecesInput", "IssueSchema",
           "IssuedPassword", "LEVELS", "LineSchema", "LoggedOut", "LoginAnswer",
           "LoginInput", "MAY", "MODES", "MeAnswer", "MergeInput", "NotableReport",
           "NotificationSchema", "OUTCOME_KINDS", "OfficeFigures", "Outcome",
           "OutcomeInput", "PageSchema", "PasswordChange", "PasswordChanged",
           "PasswordReset", "PersonHit", "PieceOutcomes", "PieceSchema", "Preferences",
           "PrincipalSchema", "PublishedBulletin", "PublishedBulletins", "QUOTA_ROLES",
           "QueueDays", "Quota", "QuotaInput", "QuotaRow", "REJECT_REASONS",
           "REPORT_STATUSES", "ROLES", "Readiness", "RejectInput", "RemindersAnswer",
           "RemindersInput", "OutcomeAttachment", "OutcomeAttachments", "BacklogImport", "AttachmentClaim", "Attachments", "AttachmentSchema", "CoAuthorshipDeclined", "DocxImport", "ReportFields", "ReportInputSchema", "ReportSchema",
           "RetainInput", "ReturnInput", "RosterImport", "Rule", "RuleInput",
           "RuleSetInput", "RuleSetOutput", "SCORING_EVENTS", "ScoreCheck", "Scores",
           "SessionAnswer", "SimilarReport", "SpecialReportOptions", "StandingRow",
           "Standings", "StrictSchema", "UNIT_KINDS", "USERNAME_RULE", "WECOM_USERID_RULE", "UnitGroup",
           "UnitInput", "UnitOutput", "UserInput", "UserOutput", "WEBHOOK_EVENT_TYPES",
           "WebhookInput", "WebhookSchema", "comment_field", "has_role", "issue_label",
           "load_contract", "load_page", "load_principal", "load_report_input", "may",
           "one_line", "plain_text", "require", "require_role", "reusable"]
