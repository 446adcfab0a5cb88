"""The information office's workbench (docs/web.md) in Debian's
Chromium: an editor works a queue end to end, composes an issue and downloads it; the
bulletin shows its charts and its spreadsheet adds up; an admin imports a roster with a
bad row, fixes it and the new people log in; a new rule version changes a person's points
on /scores. No console errors on the way."""
import io
import re
import time
import uuid

from docx import Document
from journey import VIEWPORTS, Journey
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from tests.people import REPORT, make_people
from tests.system import ADMIN_PASSWORD, Api, eventually

TITLES = ["关于加强农村饮水安全保障的建议", "关于规范校外培训机构收费的建议", "关于完善城区停车设施的建议",
          "关于推进老旧小区加装电梯的建议", "关于老旧小区电梯加装资金分摊的建议", "关于治理河道垃圾的建议"]


def login(journey, username, password="password-123", landing="您好"):
    page = journey.page
    page.goto(f"{journey.base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    if landing:
        expect(page.get_by_text(landing).first).to_be_visible()


def open_case(journey, title):
    page = journey.page
    page.goto(f"{journey.base}/review")
    page.get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()


def decide(journey, action, confirm=None):
    """Click an action, let the caller fill the dialog, then confirm twice (dialog, box)."""
    page = journey.page
    page.get_by_role("button", name=action, exact=True).first.click()
    dialog = page.get_by_role("dialog", name=action)
    expect(dialog).to_be_visible()
    return dialog


def submit_dialog(journey, dialog, action):
    page = journey.page
    dialog.locator(".el-dialog__footer").get_by_role("button", name=action).click()
    page.get_by_role("dialog").get_by_role("button", name="确认").click()
    expect(page.get_by_text(f"已{action}").first).to_be_visible()


def test_an_editor_works_a_quarter_in_the_browser(system, browser, tmp_path):
    _, people = make_people(system, author=["member"], helper=["officer"], chief=["editor"])
    author, chief = people["author"], people["chief"]
    suffix = uuid.uuid4().hex[:4]
    titles = [f"{t[:-3]}{suffix}的建议" if len(t) > 50 else t.replace("的建议", f"{suffix}的建议")
              for t in TITLES]
    ids = {}
    for title in titles:
        answer = author.api.post("/reports", dict(REPORT, title=title))
        assert answer.status_code == 201, answer.text
        ids[title] = answer.json()["id"]
    assert eventually(lambda: len([i for i in chief.api.get("/review/queue?page_size=200").json()["items"]
                                   if i["id"] in ids.values()]) == len(titles))

    context = browser.new_context(viewport=VIEWPORTS["desktop"], accept_downloads=True)
    journey = Journey(context.new_page(), system.base, tmp_path, "desktop")
    page = journey.page
    login(journey, chief.api.get("/me").json()["username"])
    journey.nav("审核")
    expect(page.get_by_role("heading", name="审核")).to_be_visible()
    expect(page.get_by_role("link", name=titles[0])).to_be_visible()
    journey.shot("review-queue")

    # 退回修改 with a comment (required: the empty form is stopped at the field)
    open_case(journey, titles[0])
    dialog = decide(journey, "退回修改")
    dialog.locator(".el-dialog__footer").get_by_role("button", name="退回修改").click()
    expect(dialog.get_by_text("请填写意见，作者将看到。")).to_be_visible()
    dialog.get_by_label("意见（作者将看到）").fill("请补充近三年的水质检测数据。")
    journey.shot("review-return-dialog")
    submit_dialog(journey, dialog, "退回修改")
    expect(page.get_by_text("请补充近三年的水质检测数据。").first).to_be_visible()

    # 不予采用 with a reason
    open_case(journey, titles[1])
    dialog = decide(journey, "不予采用")
    journey.pick("原因", "内容重复", within=dialog)
    dialog.get_by_label("意见（作者将看到）").fill("与本季度已采用信息重复。")
    submit_dialog(journey, dialog, "不予采用")
    expect(page.get_by_text("不予采用：内容重复")).to_be_visible()

    # 采用 with an edited title, the original beside the edit
    open_case(journey, titles[2])
    dialog = decide(journey, "采用")
    expect(dialog.get_by_label("作者原稿")).to_contain_text(titles[2])
    edited = f"关于缓解城区停车难{suffix}的建议"
    dialog.get_by_label("标题（可修改）").fill(edited)
    journey.shot("review-adopt-dialog")
    submit_dialog(journey, dialog, "采用")
    expect(page.get_by_text("编辑修改稿（核稿）")).to_be_visible()
    expect(page.get_by_text(edited)).to_be_visible()

    # 录入成效: an upstream adoption and a leader's instruction
    dialog = decide(journey, "录入成效")
    journey.pick("成效类别", "上级采用", within=dialog)
    journey.pick("级别", "市级", within=dialog)
    dialog.get_by_label("报送或采用单位（如市政协、县水利局）").fill("市政协")
    submit_dialog(journey, dialog, "录入成效")
    dialog = decide(journey, "录入成效")
    journey.pick("成效类别", "领导批示", within=dialog)
    journey.pick("级别", "县级", within=dialog)
    dialog.get_by_label("批示领导（如县长）").fill("县长")
    dialog.get_by_label("批示内容").fill("请住建局研究落实。")
    submit_dialog(journey, dialog, "录入成效")
    expect(page.get_by_text("市级上级采用（单篇采用）")).to_be_visible()
    expect(page.get_by_text("县级领导批示")).to_be_visible()
    # The scanned 批示件 hangs on its outcome, for the author to open too.
    scan = tmp_path / "批示件.pdf"
    scan.write_bytes(b"%PDF-1.7\n" + b"1" * 4000 + b"\n%%EOF\n")
    page.get_by_label("上传批示件").last.set_input_files(str(scan))
    expect(page.get_by_text("批示件已上传")).to_be_visible()
    expect(page.locator("[data-test=outcome-files]").last).to_contain_text("批示件.pdf")
    journey.shot("review-adopted-with-outcomes")

    # 合并采用 of the two lift reports, picked in the queue
    page.goto(f"{system.base}/review")
    for title in titles[3:5]:
        box = page.get_by_role("checkbox", name=f"选择《{title}》")
        page.locator("label.el-checkbox", has=box).click()  # the input itself is hidden
        expect(box).to_be_checked()
    page.get_by_role("button", name=re.compile("合并采用（已选2篇）")).click()
    merge = page.get_by_role("dialog", name="合并采用")
    merged_title = f"关于统筹推进老旧小区加装电梯{suffix}的建议"
    merge.get_by_label("标题").fill(merged_title)
    journey.shot("review-merge-dialog")
    merge.locator(".el-dialog__footer").get_by_role("button", name="合并采用").click()
    page.get_by_role("dialog", name="确认合并采用").get_by_role("button", name="合并采用").click()
    expect(page.get_by_text("已合并采用")).to_be_visible()
    expect(page.get_by_role("link", name=titles[3])).to_have_count(0)

    # an issue: created, both pieces added, reordered, saved, downloaded
    journey.nav("刊物")
    page.get_by_label("期号").fill(str(int(time.time()) % 900 + 1))
    page.get_by_role("button", name="新建").click()
    expect(page.get_by_role("heading", name=re.compile("《社情民意》"))).to_be_visible()
    page.get_by_role("button", name=f"加入《{edited}》").click()
    page.get_by_role("button", name=f"加入《{merged_title}》").click()
    page.get_by_role("button", name=f"上移《{merged_title}》").click()
    page.get_by_role("button", name="保存编排").click()
    expect(page.get_by_text("编排已保存")).to_be_visible()
    page.get_by_label("签发").fill("王主任")
    page.get_by_label("报（如：市政协办公室）").fill("市政协办公室")
    page.get_by_role("button", name="保存版头与版记").click()
    expect(page.get_by_text("版头和版记已保存")).to_be_visible()
    journey.shot("issue-composed")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Word 文档").click()
    path = tmp_path / "issue.docx"
    download.value.save_as(path)
    text = [p.text for p in Document(str(path)).paragraphs]
    assert text.index(merged_title) < text.index(edited)  # the order set in the browser
    assert any("签发：王主任" in t for t in text) and "报：市政协办公室" in text

    # the bulletin of this quarter: charts, tables, a spreadsheet that adds up, 发布
    journey.nav("通报")
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", name=re.compile("社情民意信息工作通报"))).to_be_visible()
    expect(page.get_by_label("与上期对比")).to_be_visible()
    expect(page.locator("figure canvas").first).to_be_visible()
    journey.shot("bulletin")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载表格（Excel）").click()
    book = load_workbook(io.BytesIO(open(download.value.path(), "rb").read()))
    members = list(book["委员"].iter_rows(values_only=True))
    row = [r for r in members if r[1] == "author"][0]
    expected = author.api.get(f"/scores/people/{author.id}").json()
    assert row[3] == len(titles) and row[7] == expected["points"]
    assert members[-1][0] == "合计" and members[-1][7] == sum(r[7] for r in members[2:-1])
    assert members[-1][3] == sum(r[3] for r in members[2:-1])
    page.get_by_role("button", name="发布").click()
    page.get_by_role("dialog", name="确认发布").get_by_role("button", name="发布").click()
    expect(page.get_by_text("通报已发布")).to_be_visible()
    expect(page.get_by_role("button", name="发布")).to_have_count(0)

    assert journey.errors == [], journey.errors
    context.close()


def roster(rows) -> bytes:
    book = Workbook()
    book.active.append(["姓名", "用户名", "手机", "邮箱", "角色", "单位", "单位类别", "是否常委", "届次"])
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_an_admin_imports_a_roster_and_changes_the_rules(system, browser, tmp_path):
    suffix = uuid.uuid4().hex[:5]
    context = browser.new_context(viewport=VIEWPORTS["desktop"])
    journey = Journey(context.new_page(), system.base, tmp_path, "desktop")
    page = journey.page
    login(journey, "admin", ADMIN_PASSWORD, landing="您好")
    journey.nav("管理")
    expect(page.get_by_role("navigation", name="管理")).to_be_visible()
    # Their own row offers no reset and no disabling (a reset would sign them out with the
    # new password on screen), but the way to change their password.
    own = page.locator("tr", has=page.get_by_role("cell", name="admin", exact=True))
    expect(own.get_by_role("button")).to_have_text(["编辑", "通知方式", "修改我的密码"])
    journey.shot("admin-users")
    own.get_by_role("button", name="编辑").click()
    dialog = page.get_by_role("dialog", name="编辑：系统管理员")
    expect(dialog.get_by_text("修改自己的密码请用")).to_be_visible()
    expect(dialog.get_by_label("新密码", exact=False)).to_have_count(0)
    journey.shot("admin-edits-self")
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    own.get_by_role("button", name="修改我的密码").click()
    expect(page).to_have_url(f"{system.base}/password")
    expect(page.get_by_label("当前密码")).to_be_visible()
    journey.nav("管理")
    page.get_by_role("navigation", name="管理").get_by_role("link", name="名册导入").click()

    good = [f"委员甲{suffix}", f"jia{suffix}", "13800000001", None, "委员", f"城关镇{suffix}",
            "镇办政协工作室", "否", "十五届"]
    bad = [f"委员乙{suffix}", f"yi{suffix}", None, None, "主席", None, None, None, None]
    (tmp_path / "bad.xlsx").write_bytes(roster([good, bad]))
    page.get_by_label("名册文件").set_input_files(str(tmp_path / "bad.xlsx"))
    page.get_by_role("button", name="检查名册").click()
    expect(page.get_by_text("没有“主席”这个角色").first).to_be_visible()
    expect(page.get_by_role("button", name="导入", exact=True)).to_have_count(0)
    journey.shot("import-errors")
    assert Api(system.base).post("/auth/login", {"username": f"jia{suffix}", "password": "x"}
                                 ).status_code == 401  # nothing applied

    bad[4] = "信息员"
    (tmp_path / "fixed.xlsx").write_bytes(roster([good, bad]))
    page.get_by_label("名册文件").set_input_files(str(tmp_path / "fixed.xlsx"))
    page.get_by_role("button", name="检查名册").click()
    expect(page.get_by_text(re.compile("将新建 2 人"))).to_be_visible()
    page.get_by_role("button", name="导入", exact=True).click()
    page.get_by_role("dialog", name="确认导入").get_by_role("button", name="导入").click()
    expect(page.get_by_text("名册已导入")).to_be_visible()
    passwords = page.get_by_role("table", name="一次性密码")
    expect(passwords).to_be_visible()
    journey.shot("import-done")
    one_time = passwords.locator("tr", has_text=f"jia{suffix}").locator("td").nth(3).inner_text()
    newcomer = Api(system.base).login(f"jia{suffix}", one_time.strip())
    assert newcomer.get("/me").json()["must_change_password"] is True

    # a new rule version: 本级采用 worth 7 instead of 5 changes the member's points
    _, people = make_people(system, rulee=["member"], editor2=["editor"])
    rulee, editor2 = people["rulee"], people["editor2"]
    report = rulee.api.post("/reports", dict(REPORT, title=f"关于规则变更{suffix}的建议")).json()["id"]
    assert eventually(lambda: editor2.api.post(f"/review/{report}/adopt", {}).status_code == 200)
    before = eventually(lambda: rulee.api.get(f"/scores/people/{rulee.id}").json()["points"] or None)
    page.get_by_role("navigation", name="管理").get_by_role("link", name="积分规则").click()
    page.get_by_role("button", name="以此为底稿新建版本").click()
    field = page.get_by_role("spinbutton", name="本级采用（单篇采用）县级分值")
    field.fill("7")
    field.press("Tab")
    page.get_by_label("施行日期").fill("2000-01-01")
    page.get_by_label("施行日期").press("Enter")
    journey.shot("rules-new-version")
    page.get_by_role("button", name="发布新版本").click()
    page.get_by_role("dialog", name="发布新版本").get_by_role("button", name="发布").click()
    expect(page.get_by_text("新版本已发布").first).to_be_visible()
    after = eventually(lambda: (lambda t: t if t != before else None)(
        rulee.api.get(f"/scores/people/{rulee.id}").json()["points"]), timeout=20)
    assert after == before + 2
    assert journey.errors == [], journey.errors
    context.close()

    # the member sees the new total on /scores
    member_context = browser.new_context(viewport=VIEWPORTS["phone"])
    member = Journey(member_context.new_page(), system.base, tmp_path, "phone")
    login(member, rulee.api.get("/me").json()["username"])
    member.page.goto(f"{system.base}/scores")
    expect(member.page.get_by_text(f"{after:g}分").first).to_be_visible()
    member.shot("scores-after-rule-change")
    assert member.errors == [], member.errors
    member_context.close()


def test_the_workbench_fits_a_phone(system, browser, tmp_path):
    """Every office page at 390 px: no sideways scrolling (Journey.shot checks it)."""
    _, people = make_people(system, phoner=["member"])
    people["phoner"].api.post("/reports", dict(REPORT, title="关于手机端审核页面的建议"))
    context = browser.new_context(viewport=VIEWPORTS["phone"])
    journey = Journey(context.new_page(), system.base, tmp_path, "phone")
    page = journey.page
    login(journey, "admin", ADMIN_PASSWORD)
    quarter = system.admin().get("/scores/standings").json()["period"]
    for path, heading in (("/review", "审核"), ("/issues", "《社情民意》刊物"),
                          (f"/bulletins/{quarter}", "社情民意信息工作通报"),
                          ("/admin/users", "管理"), ("/admin/import", "管理"), ("/admin/rules", "管理"),
                          ("/admin/deliveries", "管理")):
        page.goto(f"{system.base}{path}")
        expect(page.get_by_role("heading", name=re.compile(heading)).first).to_be_visible()
        page.wait_for_load_state("networkidle")
        journey.shot("office" + path.replace("/", "-"))
    page.goto(f"{system.base}/review")
    page.get_by_role("link", name="关于手机端审核页面的建议").click()
    expect(page.get_by_role("button", name="采用", exact=True)).to_be_visible()
    journey.shot("office-review-case")
    assert journey.errors == [], journey.errors
    context.close()
