"""积分调整 and 申诉 over HTTP, on a system started like `make run` (SQLite and PostgreSQL):
an admin's adjustment is a line of its own that standings and the check count and the
person is told of; a person appeals a line of theirs by a key that survives its
report's recomputation, once at a time; an editor resolves it and the person is told.
Bad input is refused naming its field, with nothing stored."""
import time

import pytest

from .people import REPORT, make_people
from .system import assert_speaks_chinese, eventually

YEAR = time.strftime("%Y")
TODAY = time.strftime("%Y-%m-%d")


@pytest.fixture(scope="module")
def office(system):
    unit_id, people = make_people(system, chen=["member"], han=["member"], gao=["editor"])
    return {"unit_id": unit_id, "admin": system.admin(), **people}


def lines(person, period=YEAR) -> list:
    answer = person.api.get(f"/scores/people/{person.id}?period={period}")
    assert answer.status_code == 200, answer.text
    return answer.json()["lines"]


def notices(person) -> list:
    return [n["title"] for n in person.api.get("/notifications?page_size=100").json()["items"]]


def test_an_adjustment_is_a_line_that_counts_everywhere_and_is_told(office):
    admin, chen = office["admin"], office["chen"]
    before = sum(line["points"] for line in lines(chen))
    answer = admin.post("/scores/adjustments", {
        "subject_kind": "person", "subject_id": chen.id, "points": 3.5,
        "reason": "参加年度信息员培训并作交流发言", "on": TODAY})
    assert answer.status_code == 201, answer.text
    adjustment = answer.json()
    assert adjustment["points"] == 3.5 and adjustment["created_by"]

    found = eventually(lambda: [l for l in lines(chen) if l["event"] == "adjustment"])
    assert len(found) == 1
    line = found[0]
    assert line["report_id"] == adjustment["id"] and line["rule_version"] == 0
    assert line["reason"] == "参加年度信息员培训并作交流发言" and line["points"] == 3.5
    assert len(line["key"]) == 32
    assert sum(l["points"] for l in lines(chen)) == pytest.approx(before + 3.5)
    standing = [r for r in admin.get(f"/scores/standings?period={YEAR}&kind=person"
                                     f"&page_size=200").json()["items"] if r["id"] == chen.id]
    assert standing and standing[0]["points"] == pytest.approx(before + 3.5)
    assert eventually(lambda: any("积分变为" in t for t in notices(chen)), timeout=15)
    check = admin.get("/scores/check").json()
    assert check["drifted_adjustments"] == [] and check["ok"], check

    # Taking points is an adjustment too.
    taken = admin.post("/scores/adjustments", {
        "subject_kind": "person", "subject_id": chen.id, "points": -1,
        "reason": "重复计分更正", "on": TODAY})
    assert taken.status_code == 201, taken.text
    assert sum(l["points"] for l in lines(chen)) == pytest.approx(before + 2.5)


@pytest.mark.parametrize("change, field", [
    ({"reason": ""}, "reason"), ({"reason": "   "}, "reason"),
    ({"points": 0}, "points"), ({"points": 5000}, "points"),
    ({"on": "2999-01-01"}, "on"), ({"on": "yesterday"}, "on"),
    ({"subject_id": "0" * 36}, "subject_id"), ({"subject_kind": "group"}, "subject_kind"),
    ({"appeal_id": "0" * 36}, "appeal_id"),
])
def test_a_bad_adjustment_names_its_field_and_stores_nothing(office, change, field):
    admin, han = office["admin"], office["han"]
    before = lines(han)
    body = {"subject_kind": "person", "subject_id": han.id, "points": 2,
            "reason": "说明", "on": TODAY, **change}
    answer = admin.post("/scores/adjustments", body)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert field in problem["errors"], problem
    assert_speaks_chinese(problem)
    assert lines(han) == before


def test_only_admins_adjust(office):
    answer = office["gao"].api.post("/scores/adjustments", {
        "subject_kind": "person", "subject_id": office["han"].id, "points": 2,
        "reason": "说明", "on": TODAY})
    assert answer.status_code == 403
    assert not [l for l in lines(office["han"]) if l["event"] == "adjustment"]


def test_a_person_appeals_a_line_of_theirs_once_and_is_told_of_the_resolution(office):
    han, gao = office["han"], office["gao"]
    report = han.api.post("/reports", dict(REPORT, unit_id=office["unit_id"])).json()
    assert eventually(lambda: gao.api.post(f"/review/{report['id']}/adopt", {})
                      .status_code == 200)
    adopted = eventually(lambda: [l for l in lines(han) if l["report_id"] == report["id"]
                                  and l["event"] == "adopted"], timeout=15)
    key = adopted[0]["key"]

    # Someone else's line (or a made-up key) is not theirs to appeal.
    chen_key = lines(office["chen"])[0]["key"]
    for other in (chen_key, "f" * 32):
        refused = han.api.post("/scores/appeals", {"line_key": other, "reason": "有误"})
        assert refused.status_code == 422 and "line_key" in refused.json()["errors"]
    assert han.api.post("/scores/appeals", {"line_key": key, "reason": " "}).status_code == 422

    filed = han.api.post("/scores/appeals", {"line_key": key,
                                             "reason": "此篇被市政协采用，应按上级采用计分"})
    assert filed.status_code == 201, filed.text
    appeal = filed.json()
    assert appeal["status"] == "open" and appeal["line"]["event"] == "adopted"
    second = han.api.post("/scores/appeals", {"line_key": key, "reason": "再次申诉"})
    assert second.status_code == 409
    assert_speaks_chinese(second.json())

    # The line shows its appeal; its key survives the report's recomputation (an outcome).
    assert [l["appeal"]["status"] for l in lines(han) if l["key"] == key] == ["open"]
    outcome = gao.api.post(f"/review/{report['id']}/outcomes", {
        "kind": "instructed", "level": "county", "date": TODAY, "leader": "县长",
        "text": "请有关部门研究。"})
    assert outcome.status_code == 200, outcome.text
    assert eventually(lambda: any(l["event"] == "instructed" for l in lines(han)), timeout=15)
    assert [l["event"] for l in lines(han) if l["key"] == key] == ["adopted"]

    # Editors see it among the open ones; the person sees only their own.
    assert appeal["id"] in [a["id"] for a in
                            gao.api.get("/scores/appeals?status=open").json()["items"]]
    assert {a["person_id"] for a in office["chen"].api.get("/scores/appeals")
            .json()["items"]} <= {office["chen"].id}
    assert han.api.post(f"/scores/appeals/{appeal['id']}/resolve", {
        "accepted": True, "comment": "自己处理"}).status_code == 403

    resolved = gao.api.post(f"/scores/appeals/{appeal['id']}/resolve", {
        "accepted": True, "comment": "经核实属实，已请管理员调整积分"})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["status"] == "accepted" and resolved.json()["resolved_by"] == gao.id
    again = gao.api.post(f"/scores/appeals/{appeal['id']}/resolve", {
        "accepted": False, "comment": "改判"})
    assert again.status_code == 409
    assert eventually(lambda: any("积分申诉已处理" in t for t in notices(han)), timeout=15)
    # Resolved, the line may be appealed again.
    assert han.api.post("/scores/appeals", {"line_key": key,
                                            "reason": "调整后仍有出入"}).status_code == 201
    assert gao.api.post("/scores/appeals/nope/resolve", {
        "accepted": True, "comment": "x"}).status_code == 404
