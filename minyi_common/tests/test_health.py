"""The container healthcheck: fresh beat healthy, stale or missing beat unhealthy."""
import os
import time

from minyi_common import health


def test_a_fresh_beat_is_healthy_a_stale_or_missing_one_is_not(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MINYI_HEALTH_DIR", str(tmp_path))
    assert health.main(["scoring"]) == 1
    assert "no heartbeat" in capsys.readouterr().err
    path = health.heartbeat_path("scoring")
    assert os.path.dirname(path) == str(tmp_path)
    with open(path, "w") as beat:
        beat.write(f"{time.time():.0f}\n")
    assert health.main(["scoring"]) == 0
    assert health.problem("scoring", now=time.time() + health.STALE_AFTER + 5).startswith(
        "scoring: last heartbeat")
    assert health.main([]) == 2
