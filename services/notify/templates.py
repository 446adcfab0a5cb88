"""What each notification says (SPEC §7), in Chinese. Pure functions of the event."""

from minyi_common.words import (LEVELS as LEVEL_NAMES, MODES as MODE_NAMES,  # noqa: F401
                                OUTCOMES as OUTCOME_NAMES, REJECT_REASONS as REJECT_NAMES,
                                date_words, period_words)


def link(web_url: str, event: dict) -> str | None:
    """The web app's page an email's reader should open (SPEC §11 deep links)."""
    if event.get("report_id"):
        return f"{web_url}/reports/{event['report_id']}"
    if event["event_type"] == "points_changed":
        return f"{web_url}/scores"
    if event["event_type"] == "quota_reminder_due":
        return f"{web_url}/reports/new"
    return None


def _comment(event) -> str:
    # A comment that ends its own sentence gets no second full stop.
    return f"编辑意见：{event['comment'].rstrip('。.！!；;')}。" if event.get("comment") else ""


def render(event: dict) -> tuple:
    """(kind, title, body) of the notification an event gives, or None."""
    kind = event["event_type"]
    if kind == "points_changed":
        change = event["points"] - event["previous_points"]
        period = period_words(event["period"])
        return ("points", f"您{period}的积分变为{_num(event['points'])}分",
                f"您{period}的社情民意信息积分由{_num(event['previous_points'])}分"
                f"{'增加' if change > 0 else '减少'}为{_num(event['points'])}分。")
    if kind == "quota_reminder_due":
        return ("quota", f"{period_words(event['quarter'])}社情民意信息报送提醒",
                f"按年度{event['quota']}篇的报送任务，截至本季度末您还需报送{event['owed']}篇"
                f"（今年已报送{event['submitted']}篇）。请抓紧撰写报送。")
    if kind == "bulletin_published":
        period = period_words(event["period"])
        return ("bulletin", f"{period}社情民意信息工作通报已发布",
                f"{period}社情民意信息工作通报已发布，请查看：{event['url']}")
    title = event["report"]["title"]
    if kind == "report_returned":
        return ("returned", f"《{title}》已退回修改",
                f"您的社情民意信息《{title}》已退回修改。{_comment(event)}"
                "请按意见修改后重新提交。")
    if kind == "report_retained":
        return ("retained", f"《{title}》已留存",
                f"您的社情民意信息《{title}》未予采用，已留存备查，计入基础分。{_comment(event)}")
    if kind == "report_rejected":
        reason = REJECT_NAMES.get(event.get("reason_code"), "其他原因")
        return ("rejected", f"《{title}》不予采用",
                f"您的社情民意信息《{title}》不予采用，原因：{reason}。{_comment(event)}")
    if kind == "report_adopted":
        mode = MODE_NAMES.get(event.get("mode"), "采用")
        issue = f"，刊发于《社情民意》{event['issue_label']}" if event.get("issue_label") else ""
        return ("adopted", f"《{title}》已被录用",
                f"您的社情民意信息《{title}》已被{mode}{issue}。感谢您的辛勤付出！")
    if kind in ("report_forwarded", "report_outcome_recorded"):
        outcome = event["outcome"]
        level = LEVEL_NAMES[outcome["level"]]
        what = OUTCOME_NAMES[outcome["kind"]]
        detail = ""
        if outcome["kind"] == "instructed":
            detail = f"，{outcome.get('leader')}作出批示"
        elif outcome.get("target"):
            detail = f"（{outcome['target']}）"
        return ("outcome", f"《{title}》获{level}{what}",
                f"您的社情民意信息《{title}》获{level}{what}{detail}（{date_words(outcome['date'])}）。")
    return None


def _num(value: float) -> str:
    return f"{value:g}"
