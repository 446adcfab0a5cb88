"""The gathering of concurrent submissions (one class, green threads, no broker)."""
import eventlet
import pytest
from eventlet.event import Event

from gateway.gather import Gatherer
from minyi_common.errors import ServiceUnavailable
from minyi_common.i18n import translate_detail


class Intake:
    """A stand-in for the RPC: records each batch; answers when released."""

    def __init__(self, hold=False):
        self.batches = []
        self.release = Event()
        if not hold:
            self.release.send()

    def send(self, items, remaining):
        self.batches.append(list(items))
        self.release.wait()
        return [f"answer to {item}" for item in items]


def spawn_calls(gatherer, intake, items, timeout=5.0):
    return [eventlet.spawn(gatherer.call, item, intake.send, timeout) for item in items]


def test_a_lone_submission_goes_at_once_as_a_batch_of_one():
    intake = Intake()
    assert Gatherer().call("a", intake.send, 5.0) == "answer to a"
    assert intake.batches == [["a"]]


def test_submissions_arriving_while_every_slot_is_busy_go_together():
    intake = Intake(hold=True)
    gatherer = Gatherer(in_flight=1)
    first = spawn_calls(gatherer, intake, ["a"])
    eventlet.sleep(0)  # "a" is on the way and holds the only slot
    later = spawn_calls(gatherer, intake, ["b", "c", "d"])
    eventlet.sleep(0)
    assert intake.batches == [["a"]]
    intake.release.send()
    assert [t.wait() for t in first + later] == [f"answer to {x}" for x in "abcd"]
    assert intake.batches == [["a"], ["b", "c", "d"]]


def test_a_batch_holds_at_most_its_limit():
    intake = Intake(hold=True)
    gatherer = Gatherer(in_flight=1, most=2)
    calls = spawn_calls(gatherer, intake, ["a"])
    eventlet.sleep(0)
    calls += spawn_calls(gatherer, intake, ["b", "c", "d", "e", "f"])
    eventlet.sleep(0)
    intake.release.send()
    assert [t.wait() for t in calls] == [f"answer to {x}" for x in "abcdef"]
    assert sorted(map(len, intake.batches)) == [1, 1, 2, 2]


def test_a_failed_call_fails_every_submission_it_carried():
    gatherer = Gatherer(in_flight=1)
    release = Event()

    def failing(items, remaining):
        release.wait()
        raise ServiceUnavailable("the intake service did not answer within 10 s")
    calls = [eventlet.spawn(gatherer.call, "a", failing, 5.0)]
    eventlet.sleep(0)
    calls += [eventlet.spawn(gatherer.call, x, failing, 5.0) for x in "bc"]
    eventlet.sleep(0)
    release.send()
    for call in calls:
        with pytest.raises(ServiceUnavailable):
            call.wait()
    # The slot was given back: the next submission goes through.
    assert gatherer.call("d", Intake().send, 5.0) == "answer to d"


def test_no_submission_waits_longer_than_its_deadline_for_a_slot():
    intake = Intake(hold=True)
    gatherer = Gatherer(in_flight=1)
    spawn_calls(gatherer, intake, ["a"])
    eventlet.sleep(0)
    late = spawn_calls(gatherer, intake, ["b", "c"], timeout=0.05)
    for call in late:
        with pytest.raises(ServiceUnavailable) as refused:
            call.wait()
        # The 503 a member reads is in Chinese: its words are the catalogue's.
        assert translate_detail(refused.value.args[0], "zh")[0] == "service_busy"
    assert intake.batches == [["a"]]  # they were never sent: nothing was done for them
    intake.release.send()


def test_a_carrier_killed_on_the_way_tells_the_others():
    intake = Intake(hold=True)
    gatherer = Gatherer(in_flight=1)
    spawn_calls(gatherer, intake, ["a"])
    eventlet.sleep(0)
    carrier, *others = spawn_calls(gatherer, intake, ["b", "c"])
    eventlet.sleep(0)
    carrier.kill()
    with eventlet.Timeout(2.0), pytest.raises(ServiceUnavailable):
        others[0].wait()
    intake.release.send()


def test_the_gateways_gatherers_say_a_timeout_in_the_catalogues_words():
    """A 503's detail is read by a member: each gatherer's text has a Chinese translation
    (a burst through a broker restart once met intake's in English)."""
    from gateway.service import GatewayService
    for gathered, code in ((GatewayService.submissions, "service_busy"),
                           (GatewayService.callers, "database_unavailable")):
        text = gathered.busy.format(seconds=10.0)
        assert translate_detail(text, "zh")[0] == code, text
