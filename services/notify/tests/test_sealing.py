"""Webhook secrets at rest (docs/security.md): sealed with MINYI_DATA_KEY, keys can be rotated, and
without a configured key one is made once and kept beside the embedded databases."""
import os
import stat

import pytest

from minyi_common import config
from services.notify.adapters.sealing import SecretBox, Unreadable, box_for, keys

OLD, NEW = "the-old-data-key-of-at-least-32-bytes", "the-new-data-key-of-at-least-32-bytes"


def test_a_sealed_secret_opens_with_its_key_only():
    sealed = SecretBox([OLD]).seal("a-shared-secret-of-some-length")
    assert sealed.startswith("fernet:") and "shared" not in sealed
    assert SecretBox([OLD]).open(sealed) == "a-shared-secret-of-some-length"
    with pytest.raises(Unreadable):
        SecretBox([NEW]).open(sealed)


def test_keys_rotate_the_first_seals_and_every_one_opens():
    old_sealed = SecretBox([OLD]).seal("old secret of length")
    rotated = SecretBox([NEW, OLD])
    assert rotated.open(old_sealed) == "old secret of length"
    assert SecretBox([NEW]).open(rotated.seal("new secret of length")) == "new secret of length"


def test_without_a_configured_key_one_is_made_once_and_kept_private(tmp_path, monkeypatch):
    monkeypatch.setenv("MINYI_DATA_DIR", str(tmp_path / "var"))
    settings = config.Settings(service="notify", amqp_uri="", db_url="", namespace="t",
                               level="county", rpc_timeout=1.0)
    first = keys(settings)
    path = tmp_path / "var" / "notify.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert keys(settings) == first and len(first[0]) >= 32
    assert box_for(settings).open(SecretBox(first).seal("kept across starts")) == \
        "kept across starts"
    assert os.listdir(tmp_path / "var") == ["notify.key"]  # no draft left behind


def test_a_short_or_listed_data_key_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("MINYI_DATA_KEY", f"{NEW}, {OLD}")
    assert config.load("notify").data_keys == (NEW, OLD)
    monkeypatch.setenv("MINYI_DATA_KEY", "short")
    with pytest.raises(SystemExit) as refused:
        config.load("notify")
    assert "MINYI_DATA_KEY" in str(refused.value)
