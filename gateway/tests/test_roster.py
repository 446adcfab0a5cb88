"""Roster import (docs/office.md): the template, a dry run that stores nothing, all rows or none,
the same file again changing nothing, one-time passwords shown once, 300 people at once."""
import io

from openpyxl import Workbook, load_workbook

from minyi_common.testing import both_backends
from tests.system import Api

from .test_web_session import ADMIN, dist, start_gateway  # noqa: F401 (fixture)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["姓名", "用户名", "手机", "邮箱", "角色", "单位", "单位类别", "是否常委", "届次"]


def workbook(rows, header=HEADER) -> bytes:
    book = Workbook()
    book.active.append(header)
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(admin: Api, content: bytes, dry_run=False):
    query = "?dry_run=true" if dry_run else ""
    return admin.post(f"/directory/imports{query}",
                      files={"file": ("名册.xlsx", content, XLSX)})


def people(admin: Api) -> dict:
    return {u["username"]: u for u in admin.get("/users?page_size=200").json()["items"]}


GOOD = [
    ["张三", "zhangsan", "13800000001", "zhangsan@example.cn", "委员、信息员", "民进县委会",
     "民主党派", "是", "十五届"],
    ["李四", "lisi", 13800000002, None, "信息员", "城关镇政协工作室", "镇办政协工作室", "否", None],
    ["王五", "wangwu", None, None, "委员", None, None, None, "十五届"],
]


@both_backends
def test_a_roster_goes_in_once_and_again_changes_nothing(container_factory, service_config,
                                                         monkeypatch, dist):
    base = start_gateway(container_factory, service_config, monkeypatch)
    admin = Api(base).login(*ADMIN)
    template = admin.get("/directory/import-template")
    assert template.status_code == 200 and template.headers["Content-Type"] == XLSX
    book = load_workbook(io.BytesIO(template.content))
    assert [c.value for c in book["名册"][1]] == [*HEADER, "企业微信账号"] and book.sheetnames[1] == "填写说明"

    before = set(people(admin))
    dry = upload(admin, workbook(GOOD), dry_run=True)
    assert dry.status_code == 200, dry.text
    assert {k: dry.json()[k] for k in ("rows", "created", "updated", "unchanged", "applied")} \
        == {"rows": 3, "created": 3, "updated": 0, "unchanged": 0, "applied": False}
    assert dry.json()["new_units"] == ["城关镇政协工作室", "民进县委会"]
    assert set(people(admin)) == before  # a dry run stores nothing

    applied = upload(admin, workbook(GOOD))
    assert applied.status_code == 200 and applied.json()["applied"] is True
    passwords = {p["username"]: p["one_time_password"] for p in applied.json()["passwords"]}
    assert set(passwords) == {"zhangsan", "lisi", "wangwu"}
    listed = people(admin)
    zhang = listed["zhangsan"]
    assert zhang["roles"] == ["member", "officer"] and zhang["is_standing"] is True
    assert zhang["term"] == "十五届" and zhang["phone"] == "13800000001"
    assert listed["lisi"]["phone"] == "13800000002"  # typed as a number in Excel
    units = {u["name"]: u for u in admin.get("/units?page_size=200").json()["items"]}
    assert units["民进县委会"]["kind"] == "party" and zhang["unit_ids"] == [units["民进县委会"]["id"]]
    newcomer = Api(base).login("lisi", passwords["lisi"])
    assert newcomer.get("/me").json()["must_change_password"] is True

    again = upload(admin, workbook(GOOD))
    assert (again.json()["created"], again.json()["updated"], again.json()["unchanged"]) == (0, 0, 3)
    assert again.json()["passwords"] == []  # never shown again
    changed = [list(GOOD[0]), *GOOD[1:]]
    changed[0][8] = "十六届"
    once_more = upload(admin, workbook(changed)).json()
    assert (once_more["updated"], once_more["unchanged"]) == (1, 2)
    assert people(admin)["zhangsan"]["term"] == "十六届"
    Api(base).login("lisi", passwords["lisi"])  # an update leaves passwords alone

    # A unit is renamed or re-kinded by an admin (and the clash of names is a 422).
    town = units["城关镇政协工作室"]
    renamed = admin.patch(f"/units/{town['id']}", {"name": "城关街道政协工作室"})
    assert renamed.status_code == 200 and renamed.json()["kind"] == "town_office"
    clash = admin.patch(f"/units/{town['id']}", {"name": "民进县委会"})
    assert clash.status_code == 422 and set(clash.json()["errors"]) == {"name"}
    assert admin.patch(f"/units/{town['id']}", {"kind": "club"}).status_code == 422
    assert admin.patch("/units/nowhere", {"name": "某单位"}).status_code == 404
    names = {u["name"] for u in admin.get("/units?page_size=200").json()["items"]}
    assert "城关街道政协工作室" in names and "城关镇政协工作室" not in names


@both_backends
def test_one_bad_row_stops_the_whole_file(container_factory, service_config, monkeypatch, dist):
    base = start_gateway(container_factory, service_config, monkeypatch)
    admin = Api(base).login(*ADMIN)
    before = set(people(admin))
    bad = GOOD + [["赵六", "zhaoliu", "not a phone", "bad-mail", "主席", "新单位", None, "也许", None],
                  ["", "zhangsan", None, None, "委员", None, None, None, None],
                  # zhangsan's mobile again, written another way: one account per mobile.
                  ["孙七", "sunqi", "+86 138-0000-0001", None, "委员", None, None, None, None]]
    dry = upload(admin, workbook(bad), dry_run=True).json()
    problems = {(e["row"], e["column"]): e["message"] for e in dry["errors"]}
    assert problems[(5, "角色")].startswith("没有“主席”这个角色")
    assert problems[(5, "手机")] == "手机号格式有误。" and (5, "邮箱") in problems
    assert problems[(5, "单位类别")] == "新单位“新单位”须填写单位类别。"
    assert problems[(5, "是否常委")] == "请填写“是”或“否”。"
    assert problems[(6, "姓名")] == "必填。" and problems[(6, "用户名")] == "该用户名与第 2 行重复。"
    assert problems[(7, "手机")].startswith("该手机号已登记在另一个在用账号上")

    refused = upload(admin, workbook(bad))
    assert refused.status_code == 422 and refused.json()["code"] == "invalid_import"
    assert any(line.startswith("第5行 角色：") for line in refused.json()["errors"]["file"])
    assert refused.json()["import_errors"][0]["row"] == 5
    assert set(people(admin)) == before  # nothing stored, not even the good rows
    assert "民进县委会" not in {u["name"] for u in admin.get("/units").json()["items"]}

    for content in (b"not a spreadsheet", workbook(GOOD, header=["名字", "账号"])):
        answer = upload(admin, content)
        assert answer.status_code == 422
    assert admin.post("/directory/imports", {"file": "x"}).status_code == 422  # no upload
    too_big = admin.post("/directory/imports", files={"file": ("a.xlsx", b"0" * (3 << 20), XLSX)})
    assert too_big.status_code == 413

    def chunks():  # no Content-Length: never read past the limit (werkzeug reads none of it)
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.xlsx"\r\n\r\n'
        for _ in range(48):
            yield b"0" * 65536
        yield b"\r\n--b--\r\n"
    chunked = admin.post("/directory/imports", data=chunks(),
                         headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert chunked.status_code in (413, 422), chunked.text
    assert admin.post("/users", {"username": "editor1", "password": "editor-pass-1",
                                 "display_name": "编辑", "roles": ["editor"]}).status_code == 201
    editor = Api(base).login("editor1", "editor-pass-1")  # only admins import
    assert editor.get("/directory/import-template").status_code == 403
    assert upload(editor, workbook(GOOD), dry_run=True).status_code == 403


@both_backends
def test_wecom_user_ids_come_with_their_column_and_stay_without_it(
        container_factory, service_config, monkeypatch, dist):
    base = start_gateway(container_factory, service_config, monkeypatch)
    admin = Api(base).login(*ADMIN)
    with_ids = [*HEADER, "企业微信账号"]
    rows = [row + [user_id] for row, user_id in zip(GOOD, ("ZhangSan", "li.si@cz", None))]
    assert upload(admin, workbook(rows, header=with_ids)).status_code == 200
    assert {n: people(admin)[n]["wecom_userid"] for n in ("zhangsan", "lisi", "wangwu")} == {
        "zhangsan": "ZhangSan", "lisi": "li.si@cz", "wangwu": None}
    # A file without the column (last year's template) leaves the IDs on record alone.
    again = upload(admin, workbook(GOOD)).json()
    assert again["unchanged"] == 3 and people(admin)["zhangsan"]["wecom_userid"] == "ZhangSan"

    bad = [GOOD[0] + ["-starts-with-a-dash"], GOOD[1] + ["ZhangSan"],
           ["赵六", "zhaoliu", None, None, "委员", None, None, None, None, "Zhao6"],
           ["孙七", "sunqi", None, None, "委员", None, None, None, None, "Zhao6"]]
    dry = upload(admin, workbook(bad, header=with_ids), dry_run=True).json()
    problems = {(e["row"], e["column"]): e["message"] for e in dry["errors"]}
    assert problems[(2, "企业微信账号")].startswith("企业微信账号只能由字母")
    assert problems[(3, "企业微信账号")] == "该企业微信账号已登记在另一个在用账号上。"  # zhangsan's
    assert problems[(5, "企业微信账号")] == "该企业微信账号已登记在另一个在用账号上。"  # row 4's
    assert (4, "企业微信账号") not in problems

    # By hand, the same rules: 422 naming the field; a free ID is taken.
    lisi = people(admin)["lisi"]["id"]
    for value in ("ZhangSan", "has space", "x" * 65):
        answer = admin.patch(f"/users/{lisi}", {"wecom_userid": value})
        assert answer.status_code == 422 and "wecom_userid" in answer.json()["errors"], value
    assert admin.patch(f"/users/{lisi}", {"wecom_userid": "LiSi"}).json()["wecom_userid"] == "LiSi"


def test_three_hundred_people_go_in_with_one_upload(container_factory, service_config,
                                                    monkeypatch, dist):
    base = start_gateway(container_factory, service_config, monkeypatch)
    admin = Api(base).login(*ADMIN)
    rows = [[f"委员{n:03d}", f"member{n:03d}", f"1390000{n:04d}", None,
             "委员" if n % 3 else "信息员", f"第{n % 12}界别", "界别", "否", "十五届"]
            for n in range(300)]
    answer = upload(admin, workbook(rows))
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 300 and len(answer.json()["passwords"]) == 300
    assert len(answer.json()["new_units"]) == 12
    assert admin.get("/users?page_size=1").json()["total"] == 301
