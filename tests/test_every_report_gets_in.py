"""Every report the office receives gets in (docs/reports.md), over HTTP on a system
started like `make run`, on SQLite and PostgreSQL: 代录 for an author who hands in paper."""
from datetime import date, timedelta

import pytest

from minyi_common import officetime

from .people import REPORT, make_people
from .system import eventually


@pytest.fixture(scope="module")
def office(system):
    unit_id, people = make_people(system, laowang=["member"], clerk=["unit_admin"],
                                  xiaoli=["member"], bianji=["editor"])
    _, others = make_people(system, outsider=["member"])
    return {"unit_id": unit_id, "admin": system.admin(), **people, **others}


def quarter_of(day: date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def test_a_paper_report_entered_by_the_office_is_its_authors_everywhere(office):
    author, editor = office["laowang"], office["bianji"]
    handed_in = officetime.today() - timedelta(days=2)
    answer = editor.api.post("/reports", dict(
        REPORT, on_behalf_of=author.id, received_on=handed_in.isoformat(),
        unit_id=office["unit_id"], co_author_ids=[office["xiaoli"].id]))
    assert answer.status_code == 201, answer.text
    report = answer.json()
    assert (report["author_id"], report["entered_by"]) == (author.id, editor.id)
    assert report["history"][0]["action"] == "entered_on_behalf"
    # The author: in their own list, told, and credited for the day it was handed in.
    mine = author.api.get("/reports?mine=true").json()["items"]
    assert report["id"] in [r["id"] for r in mine]
    told = eventually(lambda: [n for n in author.api.get("/notifications").json()["items"]
                               if n["kind"] == "entered"], timeout=10)
    assert told and told[0]["title"] == f"《{REPORT['title']}》已代为录入"
    named = eventually(lambda: [n for n in office["xiaoli"].api.get(
        "/notifications").json()["items"] if n["kind"] == "co_author"], timeout=10)
    assert named and "退出联名" in named[0]["body"]
    scores = eventually(lambda: [line for line in author.api.get(
        f"/scores/people/{author.id}?period={quarter_of(handed_in)}").json()["lines"]
        if line["report_id"] == report["id"]], timeout=10)
    assert scores and scores[0]["date"] == handed_in.isoformat()
    # The editor sees it in the queue, as entered on behalf.
    case = eventually(lambda: (lambda a: a.json() if a.status_code == 200 else None)(
        editor.api.get(f"/review/cases/{report['id']}")), timeout=10)
    assert case["author_id"] == author.id and case["entered_by"] == editor.id


def test_entering_for_others_is_refused_in_chinese_naming_the_field(office):
    clerk, member = office["clerk"], office["xiaoli"]
    before = len(office["admin"].get("/reports?page_size=200").json()["items"])
    outside = clerk.api.post("/reports", dict(REPORT, on_behalf_of=office["outsider"].id))
    assert outside.status_code == 422
    assert outside.json()["errors"]["on_behalf_of"] == ["单位管理员只能为本单位人员代录信息。"]
    by_member = member.api.post("/reports", dict(REPORT, on_behalf_of=office["laowang"].id))
    assert by_member.status_code == 403
    assert by_member.json()["detail"] == "只有编辑、管理员和单位管理员可以为他人代录信息"
    future = (officetime.today() + timedelta(days=3)).isoformat()
    late = office["bianji"].api.post("/reports", dict(
        REPORT, on_behalf_of=office["laowang"].id, received_on=future))
    assert late.status_code == 422 and "received_on" in late.json()["errors"]
    own = member.api.post("/reports", dict(REPORT, received_on="2026-01-05"))
    assert own.status_code == 422 and "received_on" in own.json()["errors"]
    assert len(office["admin"].get("/reports?page_size=200").json()["items"]) == before
    # A unit admin enters for a person of their unit, and revises it with them.
    entered = clerk.api.post("/reports", dict(REPORT, on_behalf_of=member.id, draft=True))
    assert entered.status_code == 201, entered.text
    report_id = entered.json()["id"]
    assert clerk.api.post(f"/reports/{report_id}/submit").status_code == 200
    assert member.api.get(f"/reports/{report_id}").json()["status"] == "submitted"
