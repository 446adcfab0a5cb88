"""`make setup` (tools/setup_env.py): a .env with a fresh secret of the right length for
every value compose requires, readable by its owner alone, and never a second time over
one that exists."""
import os
import re
import stat
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REQUIRED = re.compile(r"\$\{(\w+):\?")


def values(path):
    with open(path, encoding="utf-8") as env:
        return dict(line.rstrip("\n").split("=", 1) for line in env
                    if "=" in line and not line.startswith("#"))


def test_setup_writes_every_required_secret_once(tmp_path):
    target = tmp_path / ".env"
    run = [sys.executable, os.path.join(ROOT, "tools", "setup_env.py"), str(target)]
    first = subprocess.run(run, capture_output=True, text=True, check=True)
    assert "admin /" in first.stdout
    written = values(target)
    with open(os.path.join(ROOT, "docker-compose.yml"), encoding="utf-8") as compose:
        required = set(REQUIRED.findall(compose.read()))
    assert required and all(written.get(name) for name in required), required
    for key in ("MINYI_SECRET_KEY", "MINYI_PRINCIPAL_KEY", "MINYI_DATA_KEY"):
        assert len(written[key].encode()) >= 32
    assert len(set(written[k] for k in required)) == len(required)  # none shared
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    again = subprocess.run(run, capture_output=True, text=True, check=True)
    assert "kept" in again.stdout and values(target) == written
    other = tmp_path / "other.env"
    subprocess.run(run[:2] + [str(other)], check=True, capture_output=True)
    assert values(other)["MINYI_DATA_KEY"] != written["MINYI_DATA_KEY"]  # fresh each time
