"""py-amqp reads what the socket holds, not one exact read per piece of a frame
(minyi_common/amqp.py, READ_AHEAD): frames that arrived together cost one receive."""
import socket
import struct
import threading
import time

from amqp.transport import TCPTransport

from minyi_common import amqp  # noqa: F401  (it sets the read-ahead up)


def frame(channel: int, payload: bytes) -> bytes:
    return struct.pack(">BHI", 1, channel, len(payload)) + payload + b"\xce"


class CountingSocket:
    def __init__(self, sock):
        self.sock, self.receives = sock, 0

    def recv(self, size):
        self.receives += 1
        return self.sock.recv(size)

    def __getattr__(self, name):
        return getattr(self.sock, name)


def transport_over(sock) -> TCPTransport:
    transport = TCPTransport.__new__(TCPTransport)  # no connection: a socket we hold
    transport.sock = sock
    transport._setup_transport()
    return transport


def test_frames_that_arrived_together_are_read_with_one_receive():
    ours, theirs = socket.socketpair()
    counted = CountingSocket(ours)
    transport = transport_over(counted)
    payloads = [b"method", b"header" * 10, "正文".encode() * 500]
    theirs.sendall(b"".join(frame(i + 1, p) for i, p in enumerate(payloads)))

    frames = [transport.read_frame() for _ in payloads]

    assert frames == [(1, i + 1, p) for i, p in enumerate(payloads)]
    assert counted.receives == 1  # py-amqp alone: three per frame, nine here
    ours.close(), theirs.close()


def test_a_frame_that_arrives_in_pieces_is_still_read_whole():
    ours, theirs = socket.socketpair()
    transport = transport_over(ours)
    whole = frame(7, b"x" * 100_000) + frame(8, b"next")  # more than one read ahead

    def send_in_pieces():
        for start in range(0, len(whole), 30_000):
            theirs.sendall(whole[start:start + 30_000])
            time.sleep(0.01)
    sender = threading.Thread(target=send_in_pieces)
    sender.start()
    assert transport.read_frame() == (1, 7, b"x" * 100_000)
    assert transport.read_frame() == (1, 8, b"next")
    sender.join()
    ours.close(), theirs.close()


def test_a_read_that_times_out_mid_frame_loses_nothing():
    ours, theirs = socket.socketpair()
    ours.settimeout(0.05)
    transport = transport_over(ours)
    whole = frame(3, b"late")
    theirs.sendall(whole[:5])
    try:
        transport.read_frame()
        raise AssertionError("a frame was read from five bytes")
    except socket.timeout:
        pass
    theirs.sendall(whole[5:])
    assert transport.read_frame() == (1, 3, b"late")
    ours.close(), theirs.close()
