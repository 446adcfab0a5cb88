"""表彰 in Debian's Chromium: an editor takes the term's member records (Excel) and opens
the award list from 通报, picks a cycle and takes the decision (Word) and the lists
(Excel), on a desktop and a phone."""
import pytest
from journey import VIEWPORTS, Journey
from playwright.sync_api import expect

from tests.people import make_people
from test_office_workbench import login


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_an_editor_takes_the_award_list_as_word_and_excel(system, browser, viewport, tmp_path):
    _, people = make_people(system, judge=["editor"])
    context = browser.new_context(viewport=VIEWPORTS[viewport], locale="zh-CN",
                                  accept_downloads=True)
    me = Journey(context.new_page(), system.base, tmp_path, viewport)
    login(me, people["judge"].api.get("/me").json()["username"])
    me.nav("通报")
    page = me.page
    with page.expect_download() as download:
        page.get_by_role("link", name="本届委员和信息员履职情况（Excel）").click()
    assert download.value.suggested_filename.startswith("委员和信息员履职情况")
    page.get_by_role("link", name="表彰名单").click()
    expect(page.get_by_role("heading", name="社情民意信息工作表彰")).to_be_visible()
    page.get_by_role("button", name="查看").click()
    expect(page.get_by_role("heading", name="先进单位")).to_be_visible()
    expect(page.get_by_role("heading", name="优秀社情民意信息")).to_be_visible()
    me.shot("awards")
    for link, suffix in (("下载表彰决定（Word）", ".docx"), ("下载名单（Excel）", ".xlsx")):
        with page.expect_download() as download:
            page.get_by_role("link", name=link).click()
        taken = download.value
        assert taken.suggested_filename.startswith("社情民意信息工作表彰名单")
        assert taken.suggested_filename.endswith(suffix)
        assert taken.path().stat().st_size > 1000
    assert me.errors == [], me.errors
    context.close()
