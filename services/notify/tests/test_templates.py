"""Every notification kind renders in Chinese with what it should say."""
from services.notify import templates

REPORT = {"id": "r1", "author_id": "a", "co_author_ids": [], "unit_id": None,
          "title": "关于农村饮水安全的建议", "category": "rural"}


def render(event_type, **fields):
    return templates.render({"event_type": event_type, "report": REPORT, **fields})


def test_each_kind():
    kind, title, body = render("report_returned", comment="请补充数据")
    assert kind == "returned" and "退回修改" in title and "请补充数据" in body
    assert "。。" not in render("report_returned", comment="请补充数据。")[2]
    kind, _, body = render("report_retained", comment=None)
    assert kind == "retained" and "留存" in body and "None" not in body
    kind, _, body = render("report_rejected", reason_code="petition", comment="属信访事项")
    assert kind == "rejected" and "信访" in body
    kind, _, body = render("report_adopted", mode="merged", issue_label="2026年第12期")
    assert kind == "adopted" and "综合采用" in body and "2026年第12期" in body
    kind, title, body = render("report_outcome_recorded", outcome={
        "kind": "instructed", "level": "county", "date": "2026-08-05", "leader": "县长",
        "text": "请水利局研究落实。"})
    assert kind == "outcome" and title == "《关于农村饮水安全的建议》获县长批示"
    assert body == ("县长对您的社情民意信息《关于农村饮水安全的建议》作出批示（2026年8月5日）："
                    "“请水利局研究落实”。")
    _, title, body = render("report_outcome_recorded", outcome={
        "kind": "upstream_adopted", "level": "city", "date": "2026-08-05", "mode": "single"})
    assert title == "《关于农村饮水安全的建议》被市政协采用"
    assert body == "您的社情民意信息《关于农村饮水安全的建议》被市政协采用（2026年8月5日）。"
    _, title, _ = render("report_outcome_recorded", outcome={
        "kind": "upstream_adopted", "level": "province", "date": "2026-08-05", "mode": "merged"})
    assert title.endswith("被省政协综合采用")
    _, title, _ = render("report_outcome_recorded", outcome={
        "kind": "department_adopted", "level": "county", "date": "2026-08-05",
        "target": "县水利局"})
    assert title.endswith("被县水利局采用")
    kind, title, body = render("report_forwarded", outcome={
        "kind": "forwarded", "level": "city", "date": "2026-08-05"})
    assert title.endswith("已报送市政协") and "2026年8月5日" in body
    kind, title, body = templates.render({"event_type": "points_changed", "period": "2026-Q3",
                                          "points": 17.5, "previous_points": 7})
    assert kind == "points" and "17.5分" in title and "增加" in body
    assert "2026年第三季度" in title and "Q3" not in title + body
    kind, _, body = templates.render({"event_type": "quota_reminder_due", "quarter": "2026-Q3",
                                      "quota": 4, "submitted": 1, "owed": 2})
    assert kind == "quota" and "还需报送2篇" in body
    kind, _, body = templates.render({"event_type": "bulletin_published", "period": "2026-Q3",
                                      "url": "/bulletins/2026-Q3"})
    assert kind == "bulletin" and "“通报”栏目" in body and "api/v1" not in body
    assert templates.link("https://m.example", {"event_type": "bulletin_published",
                                                "period": "2026-Q3"}) == \
        "https://m.example/bulletins/2026-Q3"


def test_urgent_reports_and_hand_offs_reach_the_office():
    urgent = {**REPORT, "urgent": True}
    assert templates.render({"event_type": "report_submitted", "report": urgent}) is None
    [(audience, kind, title, body)] = templates.staff_notices(
        {"event_type": "report_submitted", "report": urgent})
    assert (audience, kind) == ("editors", "urgent") and title.startswith("紧急信息")
    assert templates.staff_notices({"event_type": "report_submitted", "report": REPORT}) == []
    handoff = {"id": "h1", "unit_id": "u9", "unit_name": "城关镇政协工作室",
               "due_on": "2026-12-20", "note": "请镇里协调解决", "created_by": "editor"}
    created = {"event_type": "handoff_created", "report": REPORT, "handoff": handoff}
    _, title, body = templates.render(created)
    assert "已转交城关镇政协工作室办理" in title and "2026年12月20日" in body
    [(audience, kind, title, body)] = templates.staff_notices(created)
    assert (audience, kind) == ("handoff", "handoff") and "转办" in title
    assert "2026年12月20日前" in body and "请镇里协调解决" in body


def test_a_reply_reaches_the_author_and_the_rating_and_reminders_the_unit():
    handoff = {"id": "h1", "unit_id": "u9", "unit_name": "县水利局", "due_on": "2026-12-20",
               "created_by": "editor", "resolution": "resolved", "rating": "dissatisfied"}
    _, title, body = templates.render({"event_type": "handoff_replied", "report": REPORT,
                                       "handoff": handoff})
    assert title.startswith("县水利局已办复") and "办理结果：已解决" in body
    rated = {"event_type": "handoff_rated", "report": REPORT, "handoff": handoff}
    assert templates.render(rated) is None
    assert [(a, t) for a, _, t, _ in templates.staff_notices(rated)] == [
        ("handoff", f"《{REPORT['title']}》的办复评价：不满意"),
        ("handoff_creator", f"《{REPORT['title']}》的办复评价：不满意")]
    soon = templates.staff_notices({"event_type": "handoff_reminder_due", "report": REPORT,
                                    "handoff": handoff, "reminder": "due_soon"})
    assert [a for a, *_ in soon] == ["handoff"] and "即将到期" in soon[0][2]
    late = templates.staff_notices({"event_type": "handoff_reminder_due", "report": REPORT,
                                    "handoff": handoff, "reminder": "overdue"})
    assert [a for a, *_ in late] == ["handoff", "handoff_creator"] and "已逾期" in late[0][2]
    assert templates.link("https://m.example", rated) == "https://m.example/handoffs"


def test_periods_dates_and_links_in_words():
    assert templates.period_words("2026-Q4") == "2026年第四季度"
    assert templates.period_words("2026") == "2026年"
    assert templates.date_words("2026-10-01") == "2026年10月1日"
    web = "https://minyi.example.org"
    assert templates.link(web, {"event_type": "report_adopted", "report_id": "r1"}) == \
        f"{web}/reports/r1"
    assert templates.link(web, {"event_type": "points_changed"}) == f"{web}/scores"


def test_an_author_is_told_of_a_report_entered_for_them_and_co_authors_that_they_were_named():
    entered = {**REPORT, "entered_by": "editor", "received_on": "2026-09-28",
               "co_author_ids": ["co"]}
    notices = templates.staff_notices({"event_type": "report_submitted", "report": entered})
    assert [(a, k) for a, k, _, _ in notices] == [("author", "entered"),
                                                  ("co_authors", "co_author")]
    (_, _, title, body), (_, _, co_title, co_body) = notices
    assert title == "《关于农村饮水安全的建议》已代为录入"
    assert "2026年9月28日" in body and "计入您的报送篇数和积分" in body
    assert co_title == "您被列为《关于农村饮水安全的建议》的联名作者" and "退出联名" in co_body
    # The author's own report, with nobody named beside them: no such notice.
    assert templates.staff_notices({"event_type": "report_submitted", "report": {
        **REPORT, "entered_by": None}}) == []
    # A resubmission names nobody anew.
    assert templates.staff_notices({"event_type": "report_resubmitted", "report": entered}) == []


def test_the_author_is_told_when_a_co_author_leaves():
    kind, title, body = render("report_co_author_declined", person_id="li", person_name="李四")
    assert kind == "co_author" and title == "李四退出了《关于农村饮水安全的建议》的联名"
    assert "不再作为联名作者" in body
    assert render("report_co_author_declined", person_id="li")[1].startswith("一位联名作者")
