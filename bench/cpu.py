"""Where a burst's CPU went: each process's user + system time, read from /proc
before and after, by the part of the system it is. Wall-clock rates alone hide it: on two
cores the burst is bound by the CPU that all processes together spend on one report.

Linux only (the bench machines are); elsewhere the meter reports nothing."""
import os

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
SERVICE_MARK = "minyi_common.serve "


def _read(pid: str) -> tuple[str, str, int, int] | None:
    """(command line, name, parent pid, CPU ticks) of a process, None if it is gone."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:
        return None
    # The name is in parentheses and may hold spaces; the fields follow the last ")".
    name = stat[stat.index("(") + 1:stat.rindex(")")]
    fields = stat[stat.rindex(")") + 2:].split()
    return cmdline, name, int(fields[1]), int(fields[11]) + int(fields[12])


class CpuMeter:
    """CPU ticks by part: each service (all its instances, children of ``launcher_pid``),
    RabbitMQ and PostgreSQL (every process of theirs on the machine), and this process
    (the bench's own HTTP clients)."""

    def __init__(self, launcher_pid: int):
        self.launcher_pid = launcher_pid

    def _part(self, pid: int, cmdline: str, name: str, parent: int) -> str | None:
        if pid == os.getpid():
            return "bench client"
        if SERVICE_MARK in cmdline and parent == self.launcher_pid:
            return cmdline.split(SERVICE_MARK, 1)[1].split()[0]
        if name == "beam.smp":
            return "RabbitMQ"
        if name == "postgres" or cmdline.startswith("postgres:"):
            return "PostgreSQL"
        return None

    def snapshot(self) -> dict[int, tuple[str, int]]:
        """pid -> (part, ticks) of every process that belongs to a part now."""
        if not os.path.isdir("/proc"):
            return {}
        taken = {}
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            read = _read(pid)
            if read is None:
                continue
            cmdline, name, parent, ticks = read
            part = self._part(int(pid), cmdline, name, parent)
            if part is not None:
                taken[int(pid)] = (part, ticks)
        return taken

    @staticmethod
    def spent(before: dict, after: dict) -> dict[str, float]:
        """Seconds of CPU per part between two snapshots. A process started in between
        counts from zero; one that ended in between is missing (its CPU is lost to us)."""
        seconds: dict[str, float] = {}
        for pid, (part, ticks) in after.items():
            start = before.get(pid, (part, 0))[1]
            seconds[part] = seconds.get(part, 0.0) + (ticks - start) / TICKS_PER_SECOND
        return seconds


def allowed_ms_per_report(goal_rate: float) -> float:
    """The CPU this machine's cores give each report at ``goal_rate`` reports/s."""
    return (os.cpu_count() or 1) * 1000 / goal_rate


def per_report_line(seconds: dict[str, float], reports: int, goal_rate: float,
                    label: str = "CPU per report (ms)") -> str:
    """One line: ms of CPU per report (or per ``label``'s unit) by part, the sum, and what
    the cores allow per report at the goal's rate."""
    if not seconds or not reports:
        return f"{label}: not measured (no /proc here)"
    order = ["gateway", "intake", "review", "scoring", "notify", "RabbitMQ", "PostgreSQL",
             "bench client"]
    parts = sorted(seconds, key=lambda p: (order.index(p) if p in order else len(order), p))
    total = sum(seconds.values()) * 1000 / reports
    allowed = allowed_ms_per_report(goal_rate)
    shown = "  ".join(f"{p} {seconds[p] * 1000 / reports:.2f}" for p in parts)
    return (f"{label:<34} {shown}\n{'':<34} all {total:.2f} ms; "
            f"{os.cpu_count()} cores allow {allowed:.2f} ms at {goal_rate:.0f}/s")
