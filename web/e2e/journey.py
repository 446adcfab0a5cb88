"""One person in one browser page: screenshots, a console watch, the app's navigation."""
import os
import re
import shutil
import time

from playwright.sync_api import expect

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}

# How long a step may take. `make test` runs these tests beside the services' own, on two
# cores, where the browser's renderer can stall for seconds (a CI run saw the phone menu
# still open after expect's default 5 s, where it closes in 0.3 s alone). Actions and
# assertions wait alike; a step that never happens still fails.
PATIENCE_MS = 15_000
expect.set_options(timeout=PATIENCE_MS)

# How long what one service did may take to show in another's answers (an event, a
# consumer, a recomputation) while the whole suite loads the broker and both cores.
# Alone it takes well under a second; waiting longer costs nothing when it comes.
SETTLE_S = 30


class Journey:
    """One person in one browser page, with screenshots and a console watch."""

    def __init__(self, page, base, shots, name):
        self.page, self.base, self.shots, self.name = page, base, shots, name
        self.errors = []
        page.on("console", self._console)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.set_default_timeout(PATIENCE_MS)

    def _console(self, message):
        # The one error we cause on purpose: Chromium logs the 401 of a wrong password.
        expected = message.location.get("url", "").endswith("/api/v1/auth/login")
        if message.type == "error" and not expected:
            self.errors.append(f"{message.text} ({message.location.get('url')})")

    def shot(self, step):
        self.page.wait_for_timeout(350)  # Element Plus's transitions (errors zoom in)
        path = self.shots / f"{self.name}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        wanted = os.environ.get("MINYI_SCREENSHOTS")
        if wanted:
            os.makedirs(wanted, exist_ok=True)
            shutil.copy(path, wanted)
        if self.name == "phone":
            overflow = self.page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 0, f"{step}: the page scrolls sideways by {overflow}px at 390px"

    def nav(self, label):
        """Follow the main navigation, through the menu on a phone, and wait to arrive.

        Arriving is waited for because the next step is often a reload: a CI run reloaded
        while the new page's code was still loading, so the reload brought back the old
        page and every later reload did too."""
        if self.name == "phone":
            self.page.get_by_role("button", name="打开菜单").click()
            link = self.page.locator(".menu-drawer").get_by_role("link", name=re.compile(label))
        elif label == "个人设置":  # on a wide screen: the person's name at the right
            link = self.page.get_by_role("banner").get_by_role(
                "link", name=re.compile("^个人设置"))
        else:
            link = self.page.get_by_role("navigation", name="主导航").get_by_role(
                "link", name=re.compile(label))
        href = link.get_attribute("href")
        link.click()
        if self.name == "phone":
            expect(self.page.locator(".menu-drawer")).to_be_hidden()
        # Arrived: at the link's address, or one it leads on to (/admin opens /admin/users).
        further = r"(\?.*)?$" if href == "/" else r"([/?].*)?$"
        expect(self.page).to_have_url(re.compile(re.escape(self.base + href) + further))

    def pick(self, label, option, within=None):
        """Choose in an Element select (``within`` a dialog, say, when the label repeats)."""
        named = self.page.get_by_role("combobox", name=label, exact=True)  # inside the wrapper
        wrapper = (within or self.page).locator(".el-select__wrapper", has=named)
        box = wrapper.get_by_role("combobox")
        for attempt in range(3):
            wrapper.click()
            self.page.locator(".el-select-dropdown__item:visible", has_text=option).first.click()
            # Chosen, the list closes. Under load a CI run saw it stay open (aria-expanded
            # still true) and cover the next field for good: closed by its box.
            try:
                expect(box).to_have_attribute("aria-expanded", "false", timeout=3000)
            except AssertionError:
                wrapper.click()
                expect(box).to_have_attribute("aria-expanded", "false")
            # A click that landed while the list was still opening chooses nothing; the
            # form then refuses the empty field and the step after it never comes.
            try:
                expect(wrapper).to_contain_text(option, timeout=3000)
                return
            except AssertionError:
                if attempt == 2:
                    raise

    def reload_until(self, text, timeout=SETTLE_S):
        deadline = time.monotonic() + timeout
        while True:
            if self.page.get_by_text(text, exact=False).first.is_visible():
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} did not appear on {self.page.url}")
            time.sleep(0.3)
            self.page.reload()
            self.page.wait_for_load_state("networkidle")
