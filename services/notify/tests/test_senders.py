"""What notify hands to the outside world is well formed whatever a report's title says."""
from services.notify.adapters.senders import subject_line


def test_a_subject_is_one_header_line():
    assert subject_line("《关于\n农村饮水\r\n安全的建议》已\t采用") == "《关于 农村饮水 安全的建议》已 采用"
    assert subject_line("x" * 300) == "x" * 200
    assert subject_line("") == ""
