"""What each notification says (docs/notifications.md), in Chinese. Pure functions of the event."""
import json

from minyi_common.words import (MODES, ORGANS, RATINGS, REJECT_REASONS, RESOLUTIONS,
                                SCORE_EVENTS, date_words, period_words)

# Hand-off events whose reader acts on the units' hand-off page, not the report's.
FOR_THE_UNIT = ("handoff_created", "handoff_rated", "handoff_reminder_due")


def link(web_url: str, event: dict) -> str | None:
    """The web app's page an email's reader should open (deep links, docs/web.md)."""
    if event["event_type"] in FOR_THE_UNIT:
        return f"{web_url}/handoffs"
    if event.get("report_id"):
        return f"{web_url}/reports/{event['report_id']}"
    if event["event_type"] in ("points_changed", "appeal_resolved"):
        return f"{web_url}/scores"
    if event["event_type"] == "quota_reminder_due":
        return f"{web_url}/reports/new"
    if event["event_type"] == "bulletin_published":
        return f"{web_url}/bulletins/{event['period']}"
    if event["event_type"] == "notice_published":
        return f"{web_url}/notices/{event['notice_id']}"
    if event["event_type"] == "commission_issued":  # straight to writing the piece
        return f"{web_url}/reports/new?commission={event['commission']['id']}"
    return None


def _comment(event, label="编辑意见") -> str:
    # A comment that ends its own sentence gets no second full stop.
    return f"{label}：{event['comment'].rstrip('。.！!；;')}。" if event.get("comment") else ""


def render(event: dict) -> tuple:
    """(kind, title, body) of the notification an event gives, or None."""
    kind = event["event_type"]
    if kind == "points_changed":
        change = event["points"] - event["previous_points"]
        period = period_words(event["period"])
        return ("points", f"您{period}的积分变为{_num(event['points'])}分",
                f"您{period}的社情民意信息积分由{_num(event['previous_points'])}分"
                f"{'增加' if change > 0 else '减少'}为{_num(event['points'])}分。")
    if kind == "appeal_resolved":
        line = event["line"]
        what = SCORE_EVENTS.get(line.get("event"), "积分调整")
        verdict = "申诉成立，将据此更正" if event["accepted"] else "申诉未被采纳"
        return ("appeal", f"您的积分申诉已处理：{verdict}",
                f"您对{date_words(line.get('date', ''))}“{what}”一条积分"
                f"（{_num(line.get('points', 0))}分）的申诉已处理，{verdict}。"
                f"{_comment(event, '处理意见')}")
    if kind == "quota_reminder_due":
        return ("quota", f"{period_words(event['quarter'])}社情民意信息报送提醒",
                f"按年度{event['quota']}篇的报送任务，截至本季度末您还需报送{event['owed']}篇"
                f"（今年已报送{event['submitted']}篇）。请抓紧撰写报送。")
    if kind == "bulletin_published":
        period = period_words(event["period"])
        return ("bulletin", f"{period}社情民意信息工作通报已发布",
                f"{period}社情民意信息工作通报已发布，请在“通报”栏目查看。")
    if kind == "notice_published":
        return ("notice", f"通知公告：{event['title']}",
                f"信息办发布了通知公告《{event['title']}》，请在“通知公告”栏目查阅。")
    if kind == "commission_issued":
        commission = event["commission"]
        whom = "您" if commission["person_id"] else "贵单位"
        return ("commission", f"约稿：{commission['title']}",
                f"信息办向{whom}约稿《{commission['title']}》，请于"
                f"{date_words(commission['due_on'])}前报送。可在工作台查看约稿并撰写。")
    title = event["report"]["title"]
    if kind == "report_returned":
        return ("returned", f"《{title}》已退回修改",
                f"您的社情民意信息《{title}》已退回修改。{_comment(event)}"
                "请按意见修改后重新提交。")
    if kind == "report_retained":
        return ("retained", f"《{title}》已留存",
                f"您的社情民意信息《{title}》未予采用，已留存备查，计入基础分。{_comment(event)}")
    if kind == "report_rejected":
        reason = REJECT_REASONS.get(event.get("reason_code"), "其他原因")
        return ("rejected", f"《{title}》不予采用",
                f"您的社情民意信息《{title}》不予采用，原因：{reason}。{_comment(event)}")
    if kind == "report_adopted":
        mode = MODES.get(event.get("mode"), "采用")
        issue = f"，刊发于《社情民意》{event['issue_label']}" if event.get("issue_label") else ""
        return ("adopted", f"《{title}》已被录用",
                f"您的社情民意信息《{title}》已被{mode}{issue}。感谢您的辛勤付出！")
    if kind in ("report_forwarded", "report_outcome_recorded"):
        return _outcome(title, event["outcome"])
    if kind == "handoff_created":
        handoff = event["handoff"]
        return ("handoff", f"《{title}》已转交{handoff['unit_name']}办理",
                f"您的社情民意信息《{title}》反映的事项已转交{handoff['unit_name']}办理，"
                f"办复期限为{date_words(handoff['due_on'])}。办复后您可在该信息的详情页查看并评价。")
    if kind == "handoff_replied":
        handoff = event["handoff"]
        how = RESOLUTIONS.get(handoff.get("resolution"), "")
        return ("handoff", f"{handoff['unit_name']}已办复《{title}》",
                f"{handoff['unit_name']}对您的社情民意信息《{title}》反映的事项作出办复"
                f"（办理结果：{how}）。请在该信息的详情页查看办复内容，并对办理结果作出评价。")
    if kind in ("handoff_rated", "handoff_reminder_due"):
        return None  # for the unit and the editor: staff_notices
    if kind == "report_co_author_declined":
        who = event.get("person_name") or "一位联名作者"
        return ("co_author", f"{who}退出了《{title}》的联名",
                f"{who}已退出您的社情民意信息《{title}》的联名，不再作为联名作者署名和计分。")
    return None


def _outcome(title: str, outcome: dict) -> tuple:
    """被市政协采用, 县长作出批示: what happened upstream, as an office would say it."""
    on = f"（{date_words(outcome['date'])}）"
    target = (outcome.get("target") or "").strip()
    body = "您的社情民意信息《{title}》{what}" + on + "。"
    if outcome["kind"] == "forwarded":
        where = target or f"{ORGANS[outcome['level']]}"
        return ("outcome", f"《{title}》已报送{where}",
                body.format(title=title, what=f"已报送{where}"))
    if outcome["kind"] == "upstream_adopted":
        how = "综合采用" if outcome.get("mode") == "merged" else "采用"
        organ = target or ORGANS[outcome["level"]]
        return ("outcome", f"《{title}》被{organ}{how}",
                body.format(title=title, what=f"被{organ}{how}"))
    if outcome["kind"] == "department_adopted":
        organ = target or "有关部门"
        return ("outcome", f"《{title}》被{organ}采用",
                body.format(title=title, what=f"被{organ}采用"))
    leader = (outcome.get("leader") or "领导").strip()
    words = (outcome.get("text") or "").strip().rstrip("。")
    said = f"：“{words}”" if words else ""
    return ("outcome", f"《{title}》获{leader}批示",
            f"{leader}对您的社情民意信息《{title}》作出批示{on}{said}。")




def staff_notices(event: dict) -> list:
    """(audience, kind, title, body) beside the event's own notice: urgent reports to
    every editor at once; a local matter handed to a town office to that unit's admins
    (docs/office.md); a report entered on behalf (代录) to its author, and co-authors
    to those named, so that they may leave (docs/reports.md)."""
    kind = event["event_type"]
    report = event.get("report") or {}
    found = []
    if kind in ("report_submitted", "report_resubmitted") and report.get("urgent"):
        found.append(("editors", "urgent", f"紧急信息：《{report['title']}》",
                      f"收到一篇苗头性、预警性社情民意信息《{report['title']}》，请尽快审核。"))
    if kind == "report_submitted" and report.get("entered_by") not in (
            None, report.get("author_id")):
        received = (f"（收到日期：{date_words(report['received_on'])}）"
                    if report.get("received_on") else "")
        found.append(("author", "entered", f"《{report['title']}》已代为录入",
                      f"您交来的社情民意信息《{report['title']}》已由信息工作人员代为录入并提交"
                      f"{received}，计入您的报送篇数和积分。办理进展可在“信息列表”中查看。"))
    if kind == "report_submitted" and report.get("co_author_ids"):
        found.append(("co_authors", "co_author", f"您被列为《{report['title']}》的联名作者",
                      f"社情民意信息《{report['title']}》将您列为联名作者。如不同意联名，"
                      "可在该信息的详情页点击“退出联名”，在信息科作出处理决定之前均可退出。"))
    found += _handoff_staff_notices(event)
    return found


def _handoff_staff_notices(event: dict) -> list:
    """转办 to the receiving unit's admins and the editor who handed it over."""
    kind, handoff = event["event_type"], event.get("handoff")
    if handoff is None:
        return []
    title, unit = event["report"]["title"], handoff["unit_name"]
    due = date_words(handoff["due_on"])
    if kind == "handoff_created":
        note = f"交办意见：{handoff['note'].rstrip('。')}。" if handoff.get("note") else ""
        return [("handoff", "handoff", f"转办：《{title}》",
                 f"社情民意信息《{title}》已转交{unit}办理，请于{due}前在“转办事项”中办复。{note}")]
    if kind == "handoff_rated":
        rating = RATINGS.get(handoff.get("rating"), "")
        said = f"作者对{unit}就《{title}》的办复评价为：{rating}。"
        return [("handoff", "handoff", f"《{title}》的办复评价：{rating}", said),
                ("handoff_creator", "handoff", f"《{title}》的办复评价：{rating}", said)]
    if kind == "handoff_reminder_due" and event["reminder"] == "due_soon":
        return [("handoff", "handoff", f"转办事项即将到期：《{title}》",
                 f"转交{unit}办理的社情民意信息《{title}》将于{due}到期，请按时办复。")]
    if kind == "handoff_reminder_due":
        body = f"转交{unit}办理的社情民意信息《{title}》已超过办复期限（{due}），尚未办复。"
        return [("handoff", "handoff", f"转办事项已逾期：《{title}》", body + "请尽快办复。"),
                ("handoff_creator", "handoff", f"转办事项已逾期：《{title}》", body)]
    return []


def _num(value: float) -> str:
    return f"{value:g}"


# A template parameter carries at most this many characters (the providers' limit for
# one variable); the notice's page says the rest.
SMS_PARAMETER_MAX = 35


def sms_parameters(title: str) -> str:
    """What an SMS of a notice carries, as JSON: its title as the approved template's one
    parameter (providers send no free text), shortened to what a parameter holds."""
    text = title if len(title) <= SMS_PARAMETER_MAX else title[:SMS_PARAMETER_MAX - 1] + "…"
    return json.dumps({"title": text}, ensure_ascii=False)
