"""`make bench` says where a burst's CPU went (bench/cpu.py): the meter must put each
process's CPU under the right part, or its table points the team at the wrong process."""
import os
import subprocess
import sys
import time

import pytest

from bench.cpu import CpuMeter, per_report_line

# A stand-in service: burns 0.3 s of CPU, then waits until told to end.
BURN = ("import sys, time\nstart = time.process_time()\n"
        "while time.process_time() - start < 0.3: pass\nprint('done', flush=True)\nsys.stdin.read()")

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="the meter reads /proc")


def burn_here(seconds):
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass


@pytest.fixture
def service_process():
    child = subprocess.Popen([sys.executable, "-c", BURN, "minyi_common.serve", "fake"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    yield child
    child.stdin.close()
    child.wait(10)


def test_a_service_started_by_the_launcher_counts_under_its_name(service_process):
    meter = CpuMeter(launcher_pid=os.getpid())  # this test plays the launcher
    before = {pid: taken for pid, taken in meter.snapshot().items()
              if pid != service_process.pid}  # as if it started after the first look
    assert service_process.stdout.readline() == "done\n"
    burn_here(0.2)
    spent = meter.spent(before, meter.snapshot())
    assert 0.25 <= spent["fake"] <= 1.0, spent
    assert spent["bench client"] >= 0.15, spent


def test_a_service_of_another_launcher_is_not_counted(service_process):
    meter = CpuMeter(launcher_pid=1)
    assert service_process.stdout.readline() == "done\n"
    assert "fake" not in meter.spent({}, meter.snapshot())


def test_the_line_gives_ms_per_report_and_what_the_cores_allow():
    line = per_report_line({"intake": 3.0, "gateway": 2.0, "RabbitMQ": 1.0}, 1000, 300)
    assert "gateway 2.00  intake 3.00  RabbitMQ 1.00" in line  # the request's path in order
    assert "all 6.00 ms" in line
    assert f"{os.cpu_count()} cores allow {os.cpu_count() * 1000 / 300:.2f} ms at 300/s" in line
