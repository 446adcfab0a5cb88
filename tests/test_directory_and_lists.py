"""The routes no other test reached, over HTTP on a system started like `make run` (SQLite
and PostgreSQL): the directory's lists and changes (and what a change does in the services
behind), the review's pieces and issues, read and unread notices, the report list's
filters and pages, and email following each person's preference through a real SMTP
server."""
import time
import uuid

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from minyi_common.errors import Forbidden
from minyi_common.nameko import install

install()  # our errors come back as themselves

from .people import REPORT, make_people
from .system import Api, eventually

QUARTER = f"{time.strftime('%Y')}-Q{(int(time.strftime('%m')) - 1) // 3 + 1}"


@pytest.fixture(scope="module")
def office(system):
    unit_id, people = make_people(system, zhang=["member"], li=["officer"], wang=["unit_admin"],
                                  zhao=["editor"])
    return {"unit_id": unit_id, "admin": system.admin(), "system": system, **people}


def every_page(api, path, page_size=2) -> tuple:
    """All items of a paged list, page by page: (ids in order, the total each page gave)."""
    ids, totals, page = [], set(), 1
    while True:
        sep = "&" if "?" in path else "?"
        answer = api.get(f"{path}{sep}page={page}&page_size={page_size}")
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["page"] == page and body["page_size"] == page_size
        assert len(body["items"]) <= page_size
        ids += [item["id"] for item in body["items"]]
        totals.add(body["total"])
        if not body["items"] or len(ids) >= body["total"]:
            return ids, totals
        page += 1


def new_person(office, roles, units=None, **fields):
    name = f"p{uuid.uuid4().hex[:8]}"
    answer = office["admin"].post("/users", {
        "username": name, "password": "password-123", "display_name": f"人{name[-4:]}",
        "roles": roles, "unit_ids": [office["unit_id"]] if units is None else units,
        **fields})
    assert answer.status_code == 201, answer.text
    return answer.json(), Api(office["system"].base).login(name, "password-123")


def test_units_and_users_are_listed_page_by_page_and_a_unit_renamed(office):
    admin = office["admin"]
    made = [admin.post("/units", {"name": f"界别{uuid.uuid4().hex[:6]}", "kind": "sector"})
            .json()["id"] for _ in range(3)]
    ids, totals = every_page(admin, "/units")
    assert len(totals) == 1 and len(ids) == totals.pop() == len(set(ids))
    assert set(made) <= set(ids)

    renamed = admin.patch(f"/units/{made[0]}", {"name": "新的界别名称"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "新的界别名称"
    listed = {u["id"]: u for u in admin.get("/units?page_size=200").json()["items"]}
    assert listed[made[0]]["name"] == "新的界别名称"
    assert admin.patch(f"/units/{made[1]}", {"kind": "nonsense"}).status_code == 422
    assert admin.patch(f"/units/{uuid.uuid4()}", {"name": "不存在的单位"}).status_code == 404

    ids, totals = every_page(admin, "/users", page_size=3)
    assert len(totals) == 1 and len(ids) == totals.pop() == len(set(ids))
    assert {office["zhang"].id, office["zhao"].id} <= set(ids)
    assert office["zhang"].api.get("/users").status_code == 403
    # Everyone signed in may list the units (the report form offers them).
    assert set(made) <= {u["id"] for u in office["zhang"].api.get("/units?page_size=200")
                         .json()["items"]}


def test_a_password_set_by_an_admin_ends_every_old_token(office):
    person, api = new_person(office, ["member"])
    assert api.get("/me").status_code == 200
    changed = office["admin"].patch(f"/users/{person['id']}", {"password": "another-pass-456"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["must_change_password"] is True
    assert api.get("/me").status_code == 401  # the old token is gone at once
    fresh = Api(api.base).login(person["username"], "another-pass-456")
    assert fresh.get("/me").json()["must_change_password"] is True
    refused = Api(api.base).post("/auth/login", {"username": person["username"],
                                                 "password": "password-123"})
    assert refused.status_code == 401

    disabled = office["admin"].patch(f"/users/{person['id']}", {"active": False})
    assert disabled.status_code == 200 and disabled.json()["active"] is False
    assert fresh.get("/me").status_code == 401


def test_a_username_that_is_taken_is_refused_and_nothing_changes(office):
    admin = office["admin"]
    first, _ = new_person(office, ["member"])
    second, _ = new_person(office, ["member"])
    clash = admin.patch(f"/users/{second['id']}", {"username": first["username"],
                                                   "display_name": "不应保存"})
    assert clash.status_code == 422 and "username" in clash.json()["errors"]
    again = admin.post("/users", {"username": first["username"], "password": "password-123",
                                  "display_name": "重名", "roles": ["member"], "unit_ids": []})
    assert again.status_code == 422 and "username" in again.json()["errors"]
    users = {u["id"]: u for u in admin.get("/users?page_size=200").json()["items"]}
    assert users[second["id"]]["username"] == second["username"]
    assert users[second["id"]]["display_name"] == second["display_name"]
    assert [u["id"] for u in users.values() if u["username"] == first["username"]] \
        == [first["id"]]


def test_unit_and_role_changes_reach_the_services(office):
    admin = office["admin"]
    other_unit = admin.post("/units", {"name": f"农工党{uuid.uuid4().hex[:6]}",
                                       "kind": "party"}).json()["id"]
    person, api = new_person(office, ["member"])

    # The unit: a report is filed under the new unit, no longer under the old one.
    assert admin.patch(f"/users/{person['id']}", {"unit_ids": [other_unit]}).status_code == 200
    moved = api.post("/reports", dict(REPORT, unit_id=other_unit))
    assert moved.status_code == 201, moved.text
    old = api.post("/reports", dict(REPORT, unit_id=office["unit_id"]))
    assert old.status_code == 422 and "unit_id" in old.json()["errors"]

    # The roles: made a unit admin of the new unit, the person sees its reports...
    colleague, colleague_api = new_person(office, ["member"], units=[other_unit])
    theirs = colleague_api.post("/reports", dict(REPORT, unit_id=other_unit)).json()["id"]
    assert theirs not in [r["id"] for r in api.get("/reports?page_size=100").json()["items"]]
    assert admin.patch(f"/users/{person['id']}",
                       {"roles": ["member", "unit_admin"]}).status_code == 200
    assert theirs in [r["id"] for r in api.get("/reports?page_size=100").json()["items"]]
    assert api.get(f"/reports/{theirs}").status_code == 200

    # ...and scoring counts them as an officer once they are one (its people table is
    # kept from the directory's events).
    assert admin.patch(f"/users/{person['id']}", {"roles": ["officer"]}).status_code == 200

    def listed_as(role):
        rows = office["zhao"].api.get(f"/scores/standings?period={QUARTER}&role={role}"
                                      f"&page_size=200").json()["items"]
        return person["id"] in [r["id"] for r in rows]
    assert eventually(lambda: listed_as("officer") and not listed_as("member"), timeout=10)

    # A co-author must be someone intake knows: the new person is one as soon as the
    # directory's event arrives.
    assert eventually(lambda: office["zhang"].api.post("/reports", dict(
        REPORT, draft=True, co_author_ids=[colleague["id"]])).status_code == 201, timeout=10)


def test_review_lists_its_pieces_and_issues(office):
    editor, zhang = office["zhao"].api, office["zhang"].api
    reports = [zhang.post("/reports", dict(REPORT, title=f"关于第{n}项工作的建议")).json()["id"]
               for n in range(3)]
    for report_id in reports:
        assert eventually(lambda r=report_id: editor.post(f"/review/{r}/adopt", {})
                          .status_code == 200, timeout=10)

    def unassigned():
        items = editor.get("/review/pieces?unassigned=true&page_size=200").json()["items"]
        return {i["source_report_ids"][0]: i for i in items if i["source_report_ids"][0]
                in reports}
    pieces = eventually(lambda: (lambda found: found if len(found) == 3 else None)(
        unassigned()))
    assert pieces, unassigned()
    number = int(uuid.uuid4().int % 900) + 1
    issue = editor.post("/review/issues", {"year": 2026, "number": number}).json()
    chosen = [pieces[reports[0]]["id"], pieces[reports[1]]["id"]]
    put = editor.put(f"/review/issues/{issue['id']}/pieces", {"piece_ids": chosen})
    assert put.status_code == 200, put.text
    assert [p["id"] for p in put.json()["pieces"]] == chosen
    left = unassigned()
    assert set(left) == {reports[2]}
    everything = [p["id"] for p in editor.get("/review/pieces?page_size=200").json()["items"]]
    assert set(chosen) <= set(everything)
    assert pieces[reports[2]]["id"] in everything

    ids, totals = every_page(editor, "/review/issues", page_size=1)
    assert issue["id"] in ids and len(totals) == 1
    assert editor.get(f"/review/issues/{issue['id']}").json()["pieces"][0]["id"] == chosen[0]
    assert zhang.get("/review/pieces").status_code == 403
    assert zhang.get("/review/issues").status_code == 403


def test_notices_are_read_one_by_one_and_unread_counts_follow(office):
    author, editor = office["zhang"].api, office["zhao"].api
    person, api = new_person(office, ["member"])
    for n in range(3):
        report = api.post("/reports", dict(REPORT, title=f"关于第{n}件小事的建议")).json()
        assert eventually(lambda r=report["id"]: editor.post(f"/review/{r}/return", {
            "comment": "请补充"}).status_code == 200, timeout=10)
    assert eventually(lambda: api.get("/notifications?unread=true").json()["total"] == 3)
    notices = api.get("/notifications").json()["items"]
    assert all(n["read"] is False and n["read_at"] is None for n in notices)

    read = api.post(f"/notifications/{notices[0]['id']}/read")
    assert read.status_code == 200 and read.json()["read"] is True and read.json()["read_at"]
    again = api.post(f"/notifications/{notices[0]['id']}/read")
    assert again.status_code == 200 and again.json()["read_at"] == read.json()["read_at"]
    unread = api.get("/notifications?unread=true").json()
    assert unread["total"] == 2 and notices[0]["id"] not in [n["id"] for n in unread["items"]]
    assert api.get("/notifications").json()["total"] == 3  # read ones stay listed
    # Nobody reads someone else's notice.
    assert author.post(f"/notifications/{notices[1]['id']}/read").status_code == 404
    assert api.get("/notifications?unread=true").json()["total"] == 2
    assert api.post(f"/notifications/{uuid.uuid4()}/read").status_code == 404


def test_the_report_list_filters_and_pages(office):
    editor = office["zhao"].api
    author, api = new_person(office, ["member"])
    coauthor, co_api = new_person(office, ["member"])
    tag = uuid.uuid4().hex[:6]
    made = {}
    for n, (category, draft) in enumerate([("rural", False), ("rural", True),
                                           ("economy", False), ("economy", False),
                                           ("education", True)]):
        body = dict(REPORT, title=f"关于{tag}第{n}项的建议", category=category, draft=draft,
                    unit_id=office["unit_id"])
        if n == 0:
            assert eventually(lambda: api.post("/reports", dict(
                body, draft=True, co_author_ids=[coauthor["id"]])).status_code == 201,
                timeout=10)
            continue
        answer = api.post("/reports", body)
        assert answer.status_code == 201, answer.text
        made[n] = answer.json()
    mine = api.get("/reports?page_size=100").json()
    assert mine["total"] == 5

    ids, totals = every_page(api, "/reports", page_size=2)
    assert len(ids) == len(set(ids)) == 5 and totals == {5}
    assert len(every_page(api, "/reports?status=draft")[0]) == 3
    assert len(every_page(api, "/reports?status=submitted")[0]) == 2
    assert len(every_page(api, "/reports?category=economy")[0]) == 2
    assert len(every_page(api, "/reports?category=rural&status=draft")[0]) == 2
    assert every_page(api, f"/reports?q={tag}第3项")[0] == [made[3]["id"]]
    assert len(every_page(api, f"/reports?period={QUARTER}")[0]) == 5
    assert every_page(api, f"/reports?period={int(QUARTER[:4]) - 3}")[0] == []
    assert api.get("/reports?period=last-year").status_code == 422
    # A search for a wildcard finds the text, not everything.
    assert every_page(api, "/reports?q=%25")[0] == []
    assert editor.get("/review/queue?q=%25").json()["total"] == 0
    assert editor.get("/people?q=_").json()["total"] == 0

    # The co-author sees the report they are named on, unless they ask for their own.
    assert len(every_page(co_api, "/reports")[0]) == 1
    assert every_page(co_api, "/reports?mine=true")[0] == []
    assert len(every_page(co_api, "/reports?mine=false")[0]) == 1
    # The editor sees every report; the unit filter narrows it to the unit's.
    in_unit = every_page(editor, f"/reports?unit_id={office['unit_id']}&q={tag}")[0]
    assert len(in_unit) == 5
    assert every_page(editor, f"/reports?unit_id={uuid.uuid4()}&q={tag}")[0] == []


def test_email_follows_each_persons_preference(office):
    system, editor = office["system"], office["zhao"].api
    tag = uuid.uuid4().hex[:6]
    wants, wants_api = new_person(office, ["member"], email=f"wants{tag}@example.cn")
    declines, declines_api = new_person(office, ["member"], email=f"declines{tag}@example.cn")
    assert declines_api.put("/notifications/preferences", {"email": False}).status_code == 200

    for api in (wants_api, declines_api):
        report = api.post("/reports", REPORT).json()
        assert eventually(lambda r=report["id"]: editor.post(f"/review/{r}/return", {
            "comment": "请补充数据"}).status_code == 200, timeout=10)
    # Both have the notice in the app...
    for api in (wants_api, declines_api):
        assert eventually(lambda a=api: a.get("/notifications").json()["total"] == 1)

    # ...and only the one who wants email has an email, exactly one.
    def emails(address):
        return {subject: ids for (to, subject), ids in system.smtp.received().items()
                if address in (to or "")}
    sent = eventually(lambda: emails(wants["email"]), timeout=10)
    assert sent and [len(ids) for ids in sent.values()] == [1], sent
    assert "退回" in next(iter(sent)), sent
    time.sleep(1.0)  # give a wrong email every chance to arrive
    assert emails(declines["email"]) == {}


def test_a_process_with_the_brokers_password_cannot_call_a_service_as_an_admin(office):
    """Services believe only principals the gateway signed (MINYI_PRINCIPAL_KEY): a forged
    admin on a direct RPC is refused, and nothing is done."""
    system = office["system"]
    forged = {"id": office["zhang"].id, "roles": ["admin", "editor"], "unit_ids": []}
    config = {"AMQP_URI": system.amqp_uri, "rpc_exchange": f"{system.namespace}.rpc"}
    with ServiceRpcProxy("intake", config) as intake, \
            ServiceRpcProxy("scoring", config) as scoring:
        with pytest.raises(Forbidden) as refused:
            intake.list_reports(forged, {})
        assert "gateway" in refused.value.detail
        with pytest.raises(Forbidden):
            scoring.add_rule_set(forged, {"effective_from": "2030-01-01", "rules": []})
    rules = office["zhao"].api.get("/scores/rules").json()["items"]
    assert all(r["effective_from"] != "2030-01-01" for r in rules)
