"""The editorial workflow over HTTP, on a system started like `make run`."""
import io
import threading
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from docx import Document

from minyi_common import officetime

from .people import REPORT, Person, make_people
from .system import Api, eventually

DECISIONS = {
    "return": {"comment": "请补充数据"},
    "retain": {},
    "reject": {"reason_code": "duplicate", "comment": "与已采用信息重复"},
    "adopt": {},
}
ALLOWED = {
    "return": {"submitted", "resubmitted"},
    "retain": {"submitted", "resubmitted"},
    "reject": {"submitted", "resubmitted"},
    "adopt": {"submitted", "resubmitted", "retained"},
}
BECOMES = {"return": "returned", "retain": "retained", "reject": "rejected", "adopt": "adopted"}


@pytest.fixture(scope="module")
def office(system):
    unit_id, people = make_people(system, zhang=["member"], li=["officer"], wang=["unit_admin"],
                                  zhao=["editor"], sun=["editor"])
    return {"unit_id": unit_id, **people}


def submit(author, **changes):
    answer = author.api.post("/reports", dict(REPORT, **changes))
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def status_of(person, report_id):
    return person.api.get(f"/reports/{report_id}").json()["status"]


def wait_status(person, report_id, status):
    assert eventually(lambda: status_of(person, report_id) == status, timeout=5), \
        f"{report_id} never became {status} (is {status_of(person, report_id)})"


def in_queue(editor, report_id):
    return eventually(lambda: any(i["id"] == report_id for i in editor.api.get(
        "/review/queue?page_size=200").json()["items"]), timeout=5)


def report_in(office, status):
    """A fresh report brought into ``status`` through the API."""
    author, editor = office["zhang"], office["zhao"]
    report_id = submit(author)
    assert in_queue(editor, report_id)
    steps = {
        "submitted": [],
        "returned": [("return", DECISIONS["return"])],
        "resubmitted": [("return", DECISIONS["return"]), "resubmit"],
        "retained": [("retain", {})],
        "rejected": [("reject", DECISIONS["reject"])],
        "adopted": [("adopt", {})],
        "withdrawn": ["withdraw"],
    }[status]
    for step in steps:
        if step == "resubmit":
            wait_status(author, report_id, "returned")
            assert author.api.post(f"/reports/{report_id}/submit").status_code == 200
            assert eventually(lambda: any(i["id"] == report_id and i["status"] == "resubmitted"
                                          for i in editor.api.get("/review/queue?page_size=200")
                                          .json()["items"]))
        elif step == "withdraw":
            assert author.api.post(f"/reports/{report_id}/withdraw").status_code == 200
            assert eventually(lambda: not any(i["id"] == report_id for i in editor.api.get(
                "/review/queue?page_size=200").json()["items"]))
        else:
            action, body = step
            answer = editor.api.post(f"/review/{report_id}/{action}", body)
            assert answer.status_code == 200, answer.text
    return report_id


@pytest.mark.parametrize("start", ["submitted", "resubmitted", "returned", "retained",
                                   "rejected", "adopted", "withdrawn"])
def test_every_decision_from_every_status(office, start):
    editor = office["zhao"]
    for action, body in DECISIONS.items():
        report_id = report_in(office, start)
        answer = editor.api.post(f"/review/{report_id}/{action}", body)
        if start in ALLOWED[action]:
            assert answer.status_code == 200, (start, action, answer.text)
            # The decision took: the answer, review's case and the author's view agree.
            assert answer.json()["status"] == BECOMES[action], (start, action, answer.text)
            case = editor.api.get(f"/review/cases/{report_id}").json()
            assert case["status"] == BECOMES[action], (start, action, case)
            wait_status(office["zhang"], report_id, BECOMES[action])
        else:
            assert answer.status_code == 409, (start, action, answer.status_code)
            assert answer.headers["Content-Type"].startswith("application/problem+json")
            # Intake learns the earlier decisions from review's events, a moment later.
            wait_status(editor, report_id, start)


def test_decisions_need_their_fields(office):
    editor = office["zhao"]
    report_id = report_in(office, "submitted")
    for action, body, field in (("return", {}, "comment"),
                                ("reject", {"reason_code": "weather", "comment": "x"},
                                 "reason_code"),
                                ("reject", {"reason_code": "duplicate"}, "comment"),
                                ("adopt", {"title": "短"}, "title")):
        answer = editor.api.post(f"/review/{report_id}/{action}", body)
        assert answer.status_code == 422 and field in answer.json()["errors"], answer.text
    assert status_of(editor, report_id) == "submitted"
    assert office["zhang"].api.post(f"/review/{report_id}/adopt", {}).status_code == 403


def test_drafts_edits_resubmission_and_withdrawal(office):
    author, editor = office["zhang"], office["zhao"]
    draft = author.api.post("/reports", dict(REPORT, draft=True)).json()
    assert draft["status"] == "draft"
    assert not any(i["id"] == draft["id"] for i in editor.api.get("/review/queue").json()["items"])
    edited = author.api.put(f"/reports/{draft['id']}", dict(REPORT, title="关于改进农村供水管护的建议"))
    assert edited.status_code == 200 and edited.json()["title"] == "关于改进农村供水管护的建议"
    assert author.api.post(f"/reports/{draft['id']}/submit").json()["status"] == "submitted"
    assert author.api.post(f"/reports/{draft['id']}/submit").status_code == 409
    assert author.api.put(f"/reports/{draft['id']}", REPORT).status_code == 409
    assert office["li"].api.post(f"/reports/{draft['id']}/withdraw").status_code in (403, 404)

    adopted = report_in(office, "adopted")
    wait_status(author, adopted, "adopted")
    assert author.api.post(f"/reports/{adopted}/withdraw").status_code == 409


def test_two_editors_deciding_at_once_leave_exactly_one_decision(office):
    zhao, sun = office["zhao"], office["sun"]
    for _ in range(5):
        report_id = report_in(office, "submitted")
        answers = {}
        barrier = threading.Barrier(2)

        def act(name, editor, action, body):
            barrier.wait()
            answers[name] = editor.api.post(f"/review/{report_id}/{action}", body).status_code

        threads = [threading.Thread(target=act, args=("adopt", zhao, "adopt", {})),
                   threading.Thread(target=act, args=("reject", sun, "reject",
                                                      DECISIONS["reject"]))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(answers.values()) == [200, 409], answers
        winner = "adopted" if answers["adopt"] == 200 else "rejected"
        wait_status(office["zhang"], report_id, winner)
        history = office["zhang"].api.get(f"/reports/{report_id}").json()["history"]
        assert [h["action"] for h in history if h["action"] in ("adopted", "rejected")] == [winner]


def test_history_and_the_editors_edit_are_visible(office):
    author, editor = office["zhang"], office["zhao"]
    report_id = report_in(office, "resubmitted")
    adopted = editor.api.post(f"/review/{report_id}/adopt", {
        "title": "关于保障农村饮水安全的建议", "situation": "编辑核实后的情况。",
        "suggestions": "编辑改写后的建议。"})
    assert adopted.status_code == 200
    wait_status(author, report_id, "adopted")
    report = author.api.get(f"/reports/{report_id}").json()
    assert report["title"] == REPORT["title"]  # the author's original stays
    assert report["decision"]["edited"] == {"title": "关于保障农村饮水安全的建议",
                                            "situation": "编辑核实后的情况。",
                                            "suggestions": "编辑改写后的建议。"}
    piece = [p for p in editor.api.get("/review/pieces?page_size=200").json()["items"]
             if p["id"] == adopted.json()["piece_id"]][0]
    assert piece["situation"] == "编辑核实后的情况。"  # what is published is the edit
    steps = [(h["action"], h["comment"]) for h in report["history"]]
    assert steps[:4] == [("submitted", None), ("returned", "请补充数据"), ("resubmitted", None),
                         ("adopted", None)]
    assert all(h["actor_id"] and h["at"] for h in report["history"])
    assert office["wang"].api.get(f"/reports/{report_id}").status_code == 404  # not his unit's


def test_merge_credits_every_author_and_outcomes_follow_the_piece(office):
    zhang, li, editor = office["zhang"], office["li"], office["zhao"]
    first = submit(zhang)
    second = submit(li, title="关于农村自来水管网改造的建议")
    assert in_queue(editor, first) and in_queue(editor, second)
    bad = editor.api.post("/review/merge", {"report_ids": [first], "title": "关于农村供水的建议",
                                            "analysis": "综合分析", "suggestions": "综合建议"})
    assert bad.status_code == 422 and "report_ids" in bad.json()["errors"]

    merged = editor.api.post("/review/merge", {
        "report_ids": [first, second], "title": "关于统筹推进农村供水保障的建议",
        "analysis": "综合分析。", "suggestions": "综合建议。"})
    assert merged.status_code == 201, merged.text
    piece = merged.json()
    assert piece["mode"] == "merged" and piece["source_report_ids"] == [first, second]
    for person, report_id in ((zhang, first), (li, second)):
        wait_status(person, report_id, "adopted")
        decision = person.api.get(f"/reports/{report_id}").json()["decision"]
        assert decision["mode"] == "merged" and decision["merged_into"] == piece["id"]
    again = editor.api.post("/review/merge", {"report_ids": [first, second], "title": "再次综合的标题",
                                              "analysis": "x", "suggestions": "y"})
    assert again.status_code == 409

    outcome = editor.api.post(f"/review/{piece['id']}/outcomes", {
        "kind": "upstream_adopted", "level": "province", "mode": "merged",
        "date": time.strftime("%Y-%m-%d"), "target": "省政协办公厅"})
    assert outcome.status_code == 200, outcome.text
    period = f"{time.strftime('%Y')}-Q{(int(time.strftime('%m')) - 1) // 3 + 1}"
    for person, report_id in ((zhang, first), (li, second)):
        def lines():
            found = person.api.get(f"/scores/people/{person.id}?period={period}").json()["lines"]
            return sorted((l["event"], l["points"]) for l in found if l["report_id"] == report_id)
        # accepted 1 + merged adoption 2 + upstream adopted, merged, province 10
        assert eventually(lambda: lines() == [("accepted", 1), ("adopted", 2),
                                              ("submitted", 0), ("upstream_adopted", 10)]), \
            lines()
        assert eventually(lambda: person.api.get(f"/reports/{report_id}").json()["outcomes"])


def test_outcomes_record_level_kind_and_leader(office):
    author, editor = office["zhang"], office["zhao"]
    report_id = report_in(office, "adopted")
    today = time.strftime("%Y-%m-%d")
    for body in ({"kind": "forwarded", "level": "county", "date": today, "target": "县农业农村局"},
                 {"kind": "department_adopted", "level": "city", "date": today},
                 {"kind": "instructed", "level": "county", "date": today, "leader": "县长",
                  "text": "请水利局研究落实"}):
        answer = editor.api.post(f"/review/{report_id}/outcomes", body)
        assert answer.status_code == 200, answer.text
    assert editor.api.post(f"/review/{report_id}/outcomes", {
        "kind": "instructed", "level": "county", "date": today}).status_code == 422
    assert editor.api.post(f"/review/{report_in(office, 'retained')}/outcomes", {
        "kind": "forwarded", "level": "county", "date": today}).status_code == 409
    assert eventually(lambda: len(author.api.get(f"/reports/{report_id}").json()["outcomes"]) == 3)
    notices = eventually(lambda: [n for n in author.api.get("/notifications?page_size=100")
                                  .json()["items"] if n["report_id"] == report_id
                                  and n["kind"] == "outcome"] or None)
    assert eventually(lambda: len([n for n in author.api.get("/notifications?page_size=100")
                                   .json()["items"] if n["report_id"] == report_id
                                   and n["kind"] == "outcome"]) == 3)
    assert notices


def test_queue_filters_pagination_and_similarity_hints(office):
    author, editor = office["zhang"], office["zhao"]
    tag = uuid.uuid4().hex[:6]
    base = dict(REPORT, category="health", title=f"关于改善乡镇卫生院条件的建议{tag}",
                situation="乡镇卫生院设备陈旧，医生流失严重，群众看病仍需往县城跑，" * 3,
                analysis="主要原因是待遇偏低、编制不足、培训机会少，基层医疗服务能力薄弱。" * 2,
                suggestions="一是提高基层医生待遇；二是推进县乡医疗共同体；三是加强远程诊疗。")
    first = submit(author, **base)
    near = submit(author, **dict(base, title=f"关于加强乡镇卫生院建设的建议{tag}"))
    other = submit(author, category="ecology", title=f"关于治理河道垃圾的建议{tag}")
    def item(report_id):
        found = [i for i in editor.api.get(f"/review/queue?q={tag}").json()["items"]
                 if i["id"] == report_id]
        return found[0] if found else None
    hinted = eventually(lambda: item(near))
    assert hinted["similar"][0]["report_id"] == first and hinted["similar"][0]["score"] > 0.5
    assert not any(h["report_id"] == other for h in hinted["similar"])
    # Either way round: the earlier report shows the later one too, whichever of the two
    # the review instances happened to handle first.
    assert [h["report_id"] for h in item(first)["similar"]] == [near]
    assert [h["report_id"] for h in editor.api.get(f"/review/cases/{first}").json()["similar"]] \
        == [near]

    health = editor.api.get(f"/review/queue?q={tag}&category=health").json()
    assert {i["id"] for i in health["items"]} == {first, near}
    page = editor.api.get(f"/review/queue?q={tag}&page_size=2&page=2").json()
    assert page["total"] == 3 and [i["id"] for i in page["items"]] == [other]
    oldest_first = editor.api.get(f"/review/queue?q={tag}").json()["items"]
    assert [i["id"] for i in oldest_first] == [first, near, other]
    assert editor.api.get("/review/queue?status=adopted").status_code == 422


def test_an_issue_is_composed_and_downloaded_as_docx(office, system):
    editor = office["zhao"]
    hidden = submit(office["li"], consent_to_publish=False, title="关于规范校外培训机构的建议")
    shown = submit(office["zhang"], unit_id=office["unit_id"])
    assert in_queue(editor, hidden) and in_queue(editor, shown)
    assert office["wang"].api.get(f"/reports/{shown}").status_code == 200  # his unit's report
    number = int(uuid.uuid4().int % 900) + 1
    issue = editor.api.post("/review/issues", {"year": 2026, "number": number,
                                               "published_on": "2026-08-15"}).json()
    assert issue["label"] == f"2026年第{number}期"
    assert editor.api.post("/review/issues", {"year": 2026, "number": number}).status_code == 409
    a = editor.api.post(f"/review/{shown}/adopt", {"title": "关于农村饮水安全的建议",
                                                   "issue_id": issue["id"]}).json()
    b = editor.api.post(f"/review/{hidden}/adopt", {"issue_id": issue["id"]}).json()
    composed = editor.api.get(f"/review/issues/{issue['id']}").json()
    assert [p["id"] for p in composed["pieces"]] == [a["piece_id"], b["piece_id"]]
    reordered = editor.api.put(f"/review/issues/{issue['id']}/pieces",
                               {"piece_ids": [b["piece_id"], a["piece_id"]]})
    assert reordered.status_code == 200

    imprint = editor.api.patch(f"/review/issues/{issue['id']}", {
        "signed_by": "王主任", "report_to": "市政协办公室", "send_to": "县委办公室，县政府办公室",
        "editor_name": "赵编辑", "copies": 30, "total_number": 120})
    assert imprint.status_code == 200 and imprint.json()["copies"] == 30
    bad = editor.api.patch(f"/review/issues/{issue['id']}", {"copies": 0, "colour": "red"})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"copies", "colour"}

    answer = editor.api.get(f"/review/issues/{issue['id']}/docx")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("application/vnd.openxmlformats")
    text = [p.text for p in Document(io.BytesIO(answer.content)).paragraphs]
    assert text[1] == "社情民意" and text[2] == f"第{number}期（总第120期）"
    assert "签发：王主任" in text[3] and "2026年8月15日" in text[3]
    titles = [t for t in text if t in ("关于规范校外培训机构的建议", "关于农村饮水安全的建议")]
    assert titles == ["关于规范校外培训机构的建议", "关于农村饮水安全的建议"]
    credits = [t for t in text if t.startswith("（") and t.endswith("）")]
    assert credits[0] == "（本刊编辑部）"  # no consent: no names
    assert "zhang" in credits[1] and "民进县委会" in credits[1]
    assert "报：市政协办公室" in text and "编辑：赵编辑\t共印30份" in text
    assert office["zhang"].api.get(f"/review/issues/{issue['id']}/docx").status_code == 403

    special = editor.api.get(f"/review/pieces/{a['piece_id']}/docx?signed_by=王主任")
    assert special.status_code == 200
    text = [p.text for p in Document(io.BytesIO(special.content)).paragraphs]
    assert "社情民意专报" in text and "关于农村饮水安全的建议" in text
    assert editor.api.get("/review/pieces/nope/docx").status_code == 404


def notices_of(person, kind):
    return [n for n in person.api.get("/notifications?page_size=100").json()["items"]
            if n["kind"] == kind]


def test_an_urgent_report_comes_first_and_editors_are_told_at_once(office):
    author, editor = office["zhang"], office["zhao"]
    ordinary = submit(author)
    urgent = submit(author, urgent=True, title="关于某村山体滑坡隐患的紧急情况")
    assert in_queue(editor, urgent) and in_queue(editor, ordinary)
    queue = editor.api.get("/review/queue?page_size=200").json()["items"]
    urgents = [i for i in queue if i["urgent"]]
    assert urgents and queue[:len(urgents)] == urgents  # urgent ones first
    assert [i["id"] for i in editor.api.get("/review/queue?urgent=true&page_size=200")
            .json()["items"]].count(urgent) == 1
    for person in (editor, office["sun"]):
        told = eventually(lambda: [n for n in notices_of(person, "urgent")
                                   if n["report_id"] == urgent])
        assert told and told[0]["title"] == "紧急信息：《关于某村山体滑坡隐患的紧急情况》"
    assert not notices_of(author, "urgent")  # the author is not told of their own report
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()  # the office's day
    dated = editor.api.get(f"/review/queue?submitted_from={today}&submitted_to={today}"
                           "&page_size=200").json()["items"]
    assert urgent in [i["id"] for i in dated]
    assert editor.api.get("/review/queue?submitted_from=yesterday").status_code == 422


def unit_with_admin(system, kind, name):
    """A unit of ``kind`` and one unit admin of it, signed in."""
    admin, suffix = system.admin(), uuid.uuid4().hex[:6]
    unit = admin.post("/units", {"name": f"{name}{suffix}", "kind": kind}).json()
    clerk = admin.post("/users", {"username": f"{kind[:4]}{suffix}", "password": "password-123",
                                  "display_name": f"{name}联络员", "roles": ["unit_admin"],
                                  "unit_ids": [unit["id"]]}).json()
    return unit, Person(clerk["id"], Api(system.base).login(f"{kind[:4]}{suffix}",
                                                            "password-123"), f"{name}联络员")


def due_in(days):
    return (officetime.today() + timedelta(days=days)).isoformat()


def test_a_local_matter_is_handed_to_a_town_office(office, system):
    author, editor = office["zhang"], office["zhao"]
    town, clerk = unit_with_admin(system, "town_office", "城关镇政协工作室")
    report_id = submit(author)
    assert in_queue(editor, report_id)
    for body, field in (({"reason_code": "duplicate", "comment": "重复", "handoff": {
                            "unit_id": town["id"], "due_on": due_in(7)}}, "handoff"),
                        ({"reason_code": "local_matter", "comment": "属地", "handoff": {
                            "unit_id": office["unit_id"], "due_on": due_in(7)}}, "handoff"),
                        ({"reason_code": "local_matter", "comment": "属地", "handoff": {
                            "unit_id": town["id"], "due_on": due_in(-1)}}, "handoff"),
                        ({"reason_code": "local_matter", "comment": "属地", "handoff_unit_id":
                          "nope"}, "handoff_unit_id")):
        refused = editor.api.post(f"/review/{report_id}/reject", body)
        assert refused.status_code == 422 and field in refused.json()["errors"], refused.text
    assert status_of(editor, report_id) == "submitted"  # nothing decided by the refusals
    assert clerk.api.get("/handoffs").json()["items"] == []

    handed = editor.api.post(f"/review/{report_id}/reject", {
        "reason_code": "local_matter", "comment": "请镇里协调解决",
        "handoff": {"unit_id": town["id"], "due_on": due_in(10), "note": "请十日内办复"}})
    assert handed.status_code == 200, handed.text
    mine = clerk.api.get("/handoffs").json()["items"]
    assert [h["report_id"] for h in mine] == [report_id]
    assert mine[0]["report"]["title"] == REPORT["title"] and mine[0]["note"] == "请十日内办复"
    notice = eventually(lambda: [n for n in notices_of(clerk, "handoff")
                                 if n["report_id"] == report_id])
    assert "转办" in notice[0]["title"]
    told = eventually(lambda: [n for n in notices_of(author, "handoff")
                               if n["report_id"] == report_id])
    assert f"已转交{town['name']}办理" in told[0]["title"]


def test_a_department_replies_with_a_file_and_the_author_rates_it(office, system):
    author, editor, other = office["zhang"], office["zhao"], office["li"]
    water, clerk = unit_with_admin(system, "department", "县水利局")
    _, town_clerk = unit_with_admin(system, "town_office", "河口镇政协工作室")
    report_id = submit(author)
    assert in_queue(editor, report_id)
    assert editor.api.post(f"/review/{report_id}/handoffs", {
        "unit_id": water["id"], "due_on": due_in(5)}).status_code == 409  # not decided
    assert editor.api.post(f"/review/{report_id}/adopt", {}).status_code == 200
    made = editor.api.post(f"/review/{report_id}/handoffs", {"unit_id": water["id"],
                                                             "due_on": due_in(5)})
    assert made.status_code == 201, made.text
    hid = made.json()["id"]
    assert editor.api.post(f"/review/{report_id}/handoffs", {
        "unit_id": water["id"], "due_on": due_in(5)}).status_code == 409  # once per unit
    assert author.api.post(f"/review/{report_id}/handoffs", {
        "unit_id": water["id"], "due_on": due_in(5)}).status_code == 403

    # Only the department's admins answer it; the author cannot rate before the reply.
    reply = {"text": "已安排资金维修渠道，年底前完工。", "resolution": "in_progress"}
    assert town_clerk.api.post(f"/handoffs/{hid}/reply", reply).status_code == 404
    assert author.api.post(f"/handoffs/{hid}/rating", {"rating": "satisfied"}).status_code == 409
    bad = clerk.api.post(f"/handoffs/{hid}/reply", {"text": "", "resolution": "fixed"})
    assert bad.status_code == 422 and {"text", "resolution"} <= set(bad.json()["errors"])
    answered = clerk.api.post(f"/handoffs/{hid}/reply", reply)
    assert answered.status_code == 200, answered.text
    scan = b"%PDF-1.7\n" + b"1" * 3000 + b"\n%%EOF\n"
    assert clerk.api.post(f"/handoffs/{hid}/attachments", files={
        "file": ("办复函.pdf", scan, "application/pdf")}).status_code == 201

    # The author sees the reply and its file on the report, and is told.
    listed = author.api.get(f"/reports/{report_id}/handoffs")
    assert listed.status_code == 200, listed.text
    seen = listed.json()["items"]
    assert seen[0]["reply"]["resolution"] == "in_progress"
    got = author.api.get(f"/handoffs/{hid}/attachments/{seen[0]['files'][0]['id']}")
    assert got.status_code == 200 and got.content == scan
    assert other.api.get(f"/reports/{report_id}/handoffs").status_code == 404
    assert eventually(lambda: [n for n in notices_of(author, "handoff")
                               if n["title"].startswith(water["name"] + "已办复")])
    assert other.api.post(f"/handoffs/{hid}/rating", {"rating": "satisfied"}
                          ).status_code in (403, 404)
    rated = author.api.post(f"/handoffs/{hid}/rating", {"rating": "basically_satisfied",
                                                       "comment": "希望按期完工"})
    assert rated.status_code == 200, rated.text
    assert author.api.post(f"/handoffs/{hid}/rating", {"rating": "satisfied"}).status_code == 409
    assert clerk.api.post(f"/handoffs/{hid}/reply", reply).status_code == 409
    assert eventually(lambda: [n for n in notices_of(clerk, "handoff")
                               if "基本满意" in n["title"]])
    # The office's desk: the hand-off, its reply and rating on the case; the 通报 counts it.
    case = editor.api.get(f"/review/cases/{report_id}").json()
    assert case["handoffs"][0]["rating"]["rating"] == "basically_satisfied"
    quarter = officetime.quarter_of(officetime.today())
    assert eventually(lambda: editor.api.get(f"/scores/bulletins/{quarter}").json()
                      ["handoffs"]["basically_satisfied"] >= 1, timeout=10)

