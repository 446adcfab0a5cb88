"""The collector is paused while large answers are built, and always comes back."""
import gc
import threading

import pytest

from minyi_common.gcpause import collector_paused


def test_paused_inside_and_running_after():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_comes_back_after_a_failure_and_as_a_decorator():
    @collector_paused()
    def build():
        assert not gc.isenabled()
        raise ValueError("bad period")
    with pytest.raises(ValueError):
        build()
    assert gc.isenabled()


def test_overlapping_builders_resume_it_only_when_the_last_ends():
    first_in, release = threading.Event(), threading.Event()
    seen = {}

    def first():
        with collector_paused():
            first_in.set()
            release.wait(5)
        seen["after first"] = gc.isenabled()

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(5)
    with collector_paused():
        pass
    seen["after second, first still building"] = gc.isenabled()
    release.set()
    thread.join(5)
    assert seen == {"after second, first still building": False, "after first": True}
    assert gc.isenabled()


def test_left_off_if_it_was_off_before():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
