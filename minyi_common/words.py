"""The Chinese words for what the system stores as code names, and for its periods and
dates: the one dictionary of the codes the system stores (the contracts' enumerations
are the keys of these) and what people read for them, in notices, documents, files and
translated errors."""

CATEGORIES = {
    "economy": "经济发展", "rural": "乡村振兴", "urban": "城乡建设",
    "culture_tourism": "文化旅游", "ecology": "生态环境", "education": "教育",
    "employment": "就业", "social_security": "社会保障", "health": "医疗卫生",
    "safety": "公共安全", "governance": "社会治理", "other": "其他",
}
STATUSES = {"draft": "草稿", "submitted": "已提交", "returned": "退回修改",
            "resubmitted": "已重新提交", "adopted": "已采用", "retained": "留存",
            "rejected": "不予采用", "withdrawn": "已撤回"}
LEVELS = {"county": "县级", "city": "市级", "province": "省级", "national": "全国"}
# The place of each level (全县, 全国) and its CPPCC (县政协, 全国政协).
PLACES = {"county": "县", "city": "市", "province": "省", "national": "国"}
ORGANS = {level: ("全国" if level == "national" else place) + "政协"
          for level, place in PLACES.items()}
MODES = {"single": "单篇采用", "merged": "综合采用"}
# Whom a published report is credited to when its author did not consent to be named
# (是否同意公开): the credit line of an issue, the awards list.
EDITORIAL_OFFICE = "本刊编辑部"
OUTCOMES = {"forwarded": "报送", "upstream_adopted": "上级采用",
            "department_adopted": "部门采用", "instructed": "领导批示"}
REJECT_REASONS = {
    "petition": "属于信访事项", "litigation": "涉及诉讼", "personnel": "涉及人事",
    "secret": "涉密", "privacy": "涉及个人隐私或商业秘密", "local_matter": "镇办可解决，不再上报",
    "out_of_jurisdiction": "不属于政协职责范围", "duplicate": "内容重复", "plagiarism": "涉嫌抄袭",
    "no_suggestion": "缺少分析和建议", "other": "其他原因",
}
ROLES = {"member": "委员", "officer": "信息员", "unit_admin": "单位管理员", "editor": "编辑",
         "admin": "管理员"}
UNIT_KINDS = {"party": "民主党派", "committee": "专委会", "town_office": "镇办政协工作室",
              "sector": "界别", "direct_point": "信息直报点",
              # Government departments that take hand-offs (转办): never a report's
              # unit, no quota, not ranked or awarded.
              "department": "政府部门",
              # A linked lower office (下级政协) whose pieces arrive by the link: the
              # reports it sends up count for it, and it is ranked in this office's 通报.
              "lower_office": "下级政协", "other": "其他"}
# Unit kinds no report counts for, and that are not ranked or awarded.
NOT_A_REPORT_UNIT = ("department",)
# Unit kinds a person never writes a report for: a lower office's reports come by its link.
NOT_A_PERSONS_REPORT_UNIT = ("department", "lower_office")
# Which way a link to another Minyi install goes (报送 between levels).
LINK_DIRECTIONS = {"upper": "上级政协", "lower": "下级政协"}
# Unit kinds a report may be handed to (转办) and that answer it (办复).
HANDOFF_UNIT_KINDS = ("town_office", "department")
# How far a hand-off's matter was solved, as its reply says (办理结果).
RESOLUTIONS = {"resolved": "已解决", "in_progress": "正在解决", "planned": "列入计划解决",
               "for_reference": "留作参考"}
# What the author thought of a reply (满意度).
RATINGS = {"satisfied": "满意", "basically_satisfied": "基本满意", "dissatisfied": "不满意"}
QUARTER_NAMES = {"1": "一", "2": "二", "3": "三", "4": "四"}
# What happened to a report, as its timeline says it.
HISTORY_ACTIONS = {"created": "创建草稿", "edited": "修改内容", "submitted": "提交",
                   "resubmitted": "重新提交", "returned": "退回修改", "adopted": "采用",
                   "retained": "留存", "rejected": "不予采用", "withdrawn": "撤回",
                   "entered_on_behalf": "代录", "imported": "导入往期信息", "co_author_declined": "退出联名",
                   "upper_retained": "上级留存", "upper_rejected": "上级不予采用",
                   "handed_off": "转办", "handoff_replied": "办复", "handoff_rated": "评价办复",
                   **OUTCOMES}
# What a score line was given for (the scoring events of the rule table).
SCORE_EVENTS = {"submitted": "报送", "accepted": "录用基础分", "adopted": "本级采用",
                "forwarded": "报送部门", "upstream_adopted": "上级采用",
                "department_adopted": "部门采用", "instructed": "领导批示"}
DELIVERY_STATUSES = {"pending": "待发送", "sending": "发送中", "sent": "已发送",
                     "failed": "发送失败"}
CHANNELS = {"email": "邮件", "webhook": "推送地址"}
# The events an outside system may subscribe to, as the webhook page names them.
EVENT_NAMES = {"report_submitted": "信息提交", "report_resubmitted": "重新提交",
               "report_co_author_declined": "退出联名",
               "report_returned": "退回修改", "report_retained": "留存",
               "report_rejected": "不予采用", "report_adopted": "采用", "report_forwarded": "报送",
               "report_outcome_recorded": "成效录入", "points_changed": "积分变动",
               "quota_reminder_due": "报送提醒", "bulletin_published": "通报发布",
               "handoff_created": "转办", "handoff_replied": "办复",
               "handoff_rated": "办复评价", "handoff_reminder_due": "转办催办",
               "appeal_resolved": "积分申诉处理", "commission_issued": "约稿",
               "notice_published": "通知公告"}
# What the audit log records (gateway/audit.py ACTIONS), as its page names it.
AUDIT_ACTIONS = {"auth.login": "登录", "me.password": "修改本人密码", "user.create": "新增账号",
                 "user.update": "修改账号或角色", "user.password_reset": "重置密码",
                 "user.channels": "设置通知方式",
                 "unit.create": "新增单位", "unit.update": "修改单位",
                 "roster.import": "导入名册", "backlog.import": "导入往期信息",
                 "rules.add": "新增积分规则版本", "quota.set": "设置报送任务",
                 "score.adjust": "积分调整", "webhook.create": "新增推送地址",
                 "webhook.delete": "删除推送地址", "link.create": "新增联网",
                 "link.retry": "重发联网消息", "document.download": "下载文件"}
# What the upper office did with a piece, as the lower office's timeline says it.
UPPER_DECISIONS = {"adopted": "采用", "retained": "留存", "rejected": "不予采用"}


def period_words(period: str) -> str:
    """2026-Q3 → 2026年第三季度; 2026 → 2026年; 2025..2026 → 2025—2026年;
    term:十五届 → 十五届."""
    if period.startswith("term:"):
        return period[5:]
    if ".." in period:
        first, _, last = period.partition("..")
        return f"{first}—{last}年"
    year, _, quarter = period.partition("-Q")
    if quarter in QUARTER_NAMES and year.isdigit():
        return f"{year}年第{QUARTER_NAMES[quarter]}季度"
    return f"{period}年" if period.isdigit() else period


def date_words(value) -> str:
    """2026-09-30 → 2026年9月30日."""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    try:
        year, month, day = (int(part) for part in text[:10].split("-"))
    except ValueError:
        return text
    return f"{year}年{month}月{day}日"


def points_words(points) -> str:
    """6.0 → 6, 6.50 → 6.5: points as people write them."""
    text = f"{float(points):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("", "-0") else text
