"""Small things tests share: racing calls, an SMTP server that keeps what it gets, a
free port, waiting for a condition."""
import mailbox
import socket
import subprocess
import sys
import time
from email.header import decode_header, make_header



def race(*calls) -> list:
    """Run ``calls`` at the same moment: each in its own thread, released together at a
    barrier. Returns each call's result, or the exception it raised (never swallowed: the
    caller looks at every one)."""
    import threading
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        except Exception as exc:  # handed back to the caller, who asserts on it
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads), "a racing call did not finish in 120 s"
    return results


class SmtpServer:
    """aiosmtpd in a process of its own, keeping what it receives in a maildir.
    ``tls``: (certificate file, key file) to offer STARTTLS and insist on it."""

    def __init__(self, tmp_path, port=None, tls=None):
        self.port = port or free_port()
        self.maildir = str(tmp_path / f"maildir-{self.port}")
        self.tls = tls
        self.process = None

    def start(self):
        tls = ["--tlscert", self.tls[0], "--tlskey", self.tls[1]] if self.tls else []
        self.process = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l",
                                         f"127.0.0.1:{self.port}", *tls, "-c",
                                         "aiosmtpd.handlers.Mailbox", self.maildir],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert _eventually(self._answers, 10), "the test SMTP server did not start"
        return self

    def _answers(self):
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def messages(self):
        try:
            return list(mailbox.Maildir(self.maildir, create=False))
        except (FileNotFoundError, mailbox.NoSuchMailboxError):
            return []

    def stop(self):
        if self.process:
            self.process.terminate()
            self.process.wait(10)


    def received(self) -> dict:
        """{(To, Subject): the Message-IDs of the emails that arrived, one per email}."""
        found = {}
        for message in self.messages():
            key = (message["To"], str(make_header(decode_header(message["Subject"] or ""))))
            found.setdefault(key, []).append(message["Message-ID"])
        return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _eventually(check, timeout):
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True
