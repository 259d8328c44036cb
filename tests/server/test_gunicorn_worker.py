"""The production gunicorn worker (voxit/gunicorn_worker.py), run as a real gunicorn server.

Each test starts gunicorn with ``EpollThreadWorker`` on a tiny WSGI application and talks HTTP/1.1
to it over raw sockets, so keep-alive, pipelining, request bodies, idle timeouts, a graceful stop
and worker recycling are checked on the wire, as a proxy or a browser would see them. The load
benchmark's smoke test runs the Django app itself on this worker (it is the configured default).
"""

import os
import select
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from voxit import gunicorn_worker

ROOT = Path(__file__).resolve().parents[2]
WORKER = "voxit.gunicorn_worker.EpollThreadWorker"

pytestmark = pytest.mark.skipif(not gunicorn_worker.available(), reason="the worker needs Linux's epoll")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, *options: str):
        self.port = _free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--worker-class",
                WORKER,
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                *options,
                "tests.server.wsgi_app:application",
            ],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.05)
        self.stop()
        raise AssertionError(f"gunicorn did not start: {self.output}")

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=15)

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.output = self.process.stdout.read()
        return code


@pytest.fixture
def server(request):
    marker = request.node.get_closest_marker("gunicorn_options")
    running = Server(*(marker.args if marker else ("--threads", "2")))
    yield running
    running.stop()


def send(sock: socket.socket, path: str, *, method: str = "GET", body: bytes = b"", close: bool = False) -> None:
    sock.sendall(_request(path, method=method, body=body, close=close))


def _request(path: str, *, method: str = "GET", body: bytes = b"", close: bool = False) -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: test\r\nContent-Length: {len(body)}\r\n"
    if close:
        head += "Connection: close\r\n"
    return (head + "\r\n").encode() + body


class Reader:
    """Reads HTTP/1.1 responses off one socket (Content-Length bodies)."""

    def __init__(self, sock: socket.socket):
        self.sock, self.buffer = sock, b""

    def _fill(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
        length = int(headers.get("content-length", 0))
        while len(self.buffer) < length:
            self._fill()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return int(status_line.split()[1]), headers, body

    def closed_by_server(self, seconds: float) -> bool:
        """Whether the server closes the connection within ``seconds`` (no data expected)."""
        self.sock.settimeout(seconds)
        try:
            return self.sock.recv(1) == b""
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True


def test_one_kept_alive_connection_answers_many_requests_in_order(server):
    with server.connect() as sock:
        reader = Reader(sock)
        pids = set()
        for number in range(40):
            send(sock, f"/n{number}")
            status, headers, body = reader.response()
            pid, path = body.decode().split()
            assert (status, path) == (200, f"/n{number}")
            assert headers.get("connection", "keep-alive").lower() != "close"
            pids.add(pid)
        payload = os.urandom(200_000)
        send(sock, "/echo", method="POST", body=payload)
        assert reader.response()[2] == payload
        # A body the application never reads is drained: the next request on the connection is
        # answered as itself, not read out of the left-over body.
        send(sock, "/ignore-body", method="POST", body=b"x" * 50_000)
        assert reader.response()[2] == b"ignored"
        send(sock, "/after")
        assert reader.response()[2].decode().endswith(" /after")
    assert len(pids) == 1


def test_pipelined_requests_are_all_answered_in_order(server):
    with server.connect() as sock:
        sock.sendall(_request("/first") + _request("/echo", method="POST", body=b"second") + _request("/third"))
        reader = Reader(sock)
        assert reader.response()[2].decode().endswith(" /first")
        assert reader.response()[2] == b"second"
        assert reader.response()[2].decode().endswith(" /third")


def test_a_slow_request_does_not_hold_up_other_connections(server):
    """Two threads: while one answers a slow request, the other serves every other connection."""
    with server.connect() as slow, server.connect() as other:
        send(slow, "/slow?4")
        time.sleep(0.3)  # let the slow request reach the application first
        reader = Reader(other)
        for number in range(5):
            send(other, f"/quick{number}")
            assert reader.response()[2].decode().endswith(f" /quick{number}")
        assert select.select([slow], [], [], 0)[0] == []  # the slow answer is still being made
        status, _, body = Reader(slow).response()
        assert status == 200 and body.decode().endswith(" /slow")


def test_connection_close_is_honoured(server):
    with server.connect() as sock:
        send(sock, "/bye", close=True)
        reader = Reader(sock)
        status, headers, _ = reader.response()
        assert status == 200 and headers["connection"].lower() == "close"
        assert reader.closed_by_server(10)


@pytest.mark.gunicorn_options("--threads", "2", "--keep-alive", "1")
def test_idle_connections_are_closed_after_the_keepalive_time(server):
    with server.connect() as idle, server.connect() as silent:
        send(idle, "/once")
        reader = Reader(idle)
        assert reader.response()[0] == 200
        assert reader.closed_by_server(10)
        assert Reader(silent).closed_by_server(10)  # connected, never sent a request
    with server.connect() as sock:  # and the server goes on serving
        send(sock, "/later")
        assert Reader(sock).response()[0] == 200


def test_a_graceful_stop_finishes_the_request_in_flight(server):
    with server.connect() as sock:
        send(sock, "/slow?1.5")
        time.sleep(0.3)
        server.process.send_signal(signal.SIGTERM)
        reader = Reader(sock)
        status, _, body = reader.response()
        assert status == 200 and body.decode().endswith(" /slow")
        assert reader.closed_by_server(10)  # then the stopping worker closes it
    assert server.stop() == 0
    assert f"Using worker: {WORKER}" in server.output


@pytest.mark.gunicorn_options("--threads", "2", "--max-requests", "5")
def test_a_recycled_worker_is_replaced_and_serving_goes_on(server):
    pids, answered = set(), 0
    while len(pids) < 3 and answered < 200:
        for _attempt in range(50):  # a connection that meets the moment of the swap is retried
            try:
                with server.connect() as sock:
                    send(sock, f"/r{answered}", close=True)
                    status, _, body = Reader(sock).response()
                break
            except (ConnectionError, OSError):
                time.sleep(0.1)
        else:
            raise AssertionError(f"request {answered} was never answered")
        assert status == 200
        answered += 1
        pids.add(body.split()[0])
        time.sleep(0.02)
    assert len(pids) == 3  # two recycles, each replaced by a new worker


@pytest.mark.gunicorn_options("--workers", "2", "--threads", "2", "--reuse-port", "--keep-alive", "5")
def test_a_stopping_worker_hands_its_connections_over_without_resetting_any(server):
    """A worker told to stop (as at a restart, or recycled after max_requests) while its sibling
    serves on: its kept-alive connection gets its next request answered, then closed; new
    connections go to the sibling at once instead of queueing at the stopping worker until it
    ends (which would reset them)."""
    kept: dict[str, tuple] = {}
    opened = []
    for number in range(200):  # the kernel spreads connections over the workers' sockets
        if number >= 20:
            time.sleep(0.05)  # the second worker may still be starting
        sock = server.connect()
        opened.append(sock)
        reader = Reader(sock)
        send(sock, f"/hello{number}")
        kept.setdefault(reader.response()[2].split()[0].decode(), (sock, reader))
        if len(kept) == 2:
            break
    assert len(kept) == 2, "one worker took every connection"
    stopping, (sock, reader) = sorted(kept.items())[0]
    os.kill(int(stopping), signal.SIGTERM)
    time.sleep(0.7)  # the worker notices within half a second
    send(sock, "/last-on-the-stopping-worker")
    status, headers, body = reader.response()
    assert status == 200 and body.decode().split() == [stopping, "/last-on-the-stopping-worker"]
    assert headers["connection"].lower() == "close"
    served_by = set()
    for number in range(30):
        with server.connect() as fresh:
            send(fresh, f"/new{number}", close=True)
            status, _, body = Reader(fresh).response()
        assert status == 200
        served_by.add(body.split()[0].decode())
    assert stopping not in served_by
    for sock in opened:
        sock.close()
    server.stop()
    assert "Worker exiting (pid: " + stopping in server.output


class Client:
    """A kept-alive connection that, like a browser or a proxy, opens a new one when the server
    answers with "Connection: close"."""

    def __init__(self, server: Server):
        self.server = server
        self.sock = self.reader = None

    def ask(self, path: str) -> str:
        """The pid of the worker that answered."""
        if self.sock is None:
            self.sock = self.server.connect()
            self.reader = Reader(self.sock)
        send(self.sock, path)
        status, headers, body = self.reader.response()
        assert status == 200
        if headers.get("connection", "").lower() == "close":
            self.close()
        return body.split()[0].decode()

    def close(self):
        if self.sock is not None:
            self.sock.close()
        self.sock = self.reader = None


def _split(clients: list[Client], rounds: int) -> dict[str, int]:
    """Every client asks ``rounds`` times, one after another; connections held per worker, by
    the pid that answered each client's last request."""
    last = {}
    for number in range(rounds):
        for index, client in enumerate(clients):
            last[index] = client.ask(f"/c{index}-{number}")
    return dict(Counter(last.values()))


def _two_workers_up(server: Server) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pids = set()
        for _ in range(10):
            with server.connect() as sock:
                send(sock, "/who", close=True)
                pids.add(Reader(sock).response()[2].split()[0])
        if len(pids) == 2:
            return
        time.sleep(0.2)
    raise AssertionError("the second worker did not start")


@pytest.mark.gunicorn_options("--workers", "2", "--threads", "2", "--keep-alive", "30")
def test_kept_alive_connections_are_shared_evenly_between_workers(server):
    """On one shared listening socket each new connection goes to the worker holding the fewest:
    a resident's wait grows with the connections their worker answers in turn, so an uneven
    split (the first worker to wake taking most, or SO_REUSEPORT's hash) makes some residents
    wait longer on every vote."""
    _two_workers_up(server)
    clients = [Client(server) for _ in range(40)]
    try:
        split = _split(clients, rounds=3)
    finally:
        for client in clients:
            client.close()
    assert sum(split.values()) == 40 and len(split) == 2, split
    assert max(split.values()) - min(split.values()) <= 2, split


@pytest.mark.gunicorn_options("--workers", "2", "--threads", "2", "--keep-alive", "30")
def test_a_replaced_worker_gets_its_share_of_the_kept_alive_connections(server):
    """A worker that starts later (here the replacement of a stopped one) begins with no
    connections: the other hands over one at a time ("Connection: close" on a next request)
    until both hold the same, and every request is answered on the way."""
    _two_workers_up(server)
    clients = [Client(server) for _ in range(40)]
    try:
        before = _split(clients, rounds=2)
        stopped = sorted(before)[0]
        os.kill(int(stopped), signal.SIGTERM)
        deadline = time.monotonic() + 30
        while True:
            split = _split(clients, rounds=1)
            if len(split) == 2 and stopped not in split:
                break  # the replacement took connections
            assert time.monotonic() < deadline, split
            time.sleep(0.05)
        for _ in range(100):  # one hand-over per 20 ms at most
            split = _split(clients, rounds=1)
            if max(split.values()) - min(split.values()) <= 2:
                break
            time.sleep(0.02)
    finally:
        for client in clients:
            client.close()
    assert sum(split.values()) == 40 and len(split) == 2 and stopped not in split, split
    assert max(split.values()) - min(split.values()) <= 2, split


def test_tls_and_http2_settings_are_refused():
    from gunicorn.config import Config

    class Log:
        def warning(self, *args):
            pass

    config = Config()
    config.set("http_protocols", "h2,h1")
    with pytest.raises(RuntimeError, match="HTTP/1"):
        gunicorn_worker.EpollThreadWorker.check_config(config, Log())
    gunicorn_worker.EpollThreadWorker.check_config(Config(), Log())  # plain HTTP/1.x is fine


def test_a_worker_freezes_what_survives_each_full_collection():
    """gunicorn.conf.py's post_fork: after a full collection the survivors are frozen, so the next
    full collection does not walk them again (its pause stays short under load)."""
    import gc
    import runpy

    conf = runpy.run_path(str(ROOT / "voxit" / "gunicorn.conf.py"))
    callbacks_before = list(gc.callbacks)
    try:
        conf["post_fork"](None, None)
        gc.unfreeze()
        survivor = [object() for _ in range(1000)]  # tracked containers, alive across the collection
        assert gc.get_freeze_count() == 0
        gc.collect(1)  # a younger generation only: nothing is frozen
        assert gc.get_freeze_count() == 0
        gc.collect()
        assert gc.get_freeze_count() >= len(survivor)
    finally:
        gc.callbacks[:] = callbacks_before
        gc.unfreeze()


class _RecordingSocket:
    def __init__(self):
        self.sent: list[bytes] = []

    def sendall(self, data):
        self.sent.append(bytes(data))

    def shutdown(self, how):
        self.sent.append(b"<shutdown>")


def test_a_response_head_waits_for_its_body_and_leaves_in_one_send():
    sock = _RecordingSocket()
    held = gunicorn_worker._HeadHeldSocket(sock)
    held.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n")
    assert sock.sent == []
    held.sendall(b"body")
    held.sendall(b"more")
    held.flush()
    assert sock.sent == [b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody", b"more"]
    # A response that is only a head goes out when the request ends; anything else asked of the
    # socket (here a shutdown after an error) sends what is held first.
    alone, sock = None, _RecordingSocket()
    alone = gunicorn_worker._HeadHeldSocket(sock)
    alone.sendall(b"HEAD-ONLY")
    alone.shutdown(1)
    assert sock.sent == [b"HEAD-ONLY", b"<shutdown>"]


def test_the_date_header_is_the_current_second():
    calls = []

    def formatted(timestamp=None):
        calls.append(timestamp)
        return f"date {timestamp}"

    http_date = gunicorn_worker._http_date_per_second(formatted)
    first = http_date()
    assert http_date() == first and len(calls) in (1, 2)  # once a second (twice across a tick)
    assert first == f"date {int(time.time())}" or first == f"date {int(time.time()) - 1}"
    assert http_date(1_000_000) == "date 1000000"  # a given time is formatted as asked


def test_responses_without_a_body_streamed_or_from_a_file_arrive_whole(server):
    with server.connect() as sock:
        reader = Reader(sock)
        send(sock, "/redirect")
        status, headers, body = reader.response()
        assert (status, headers["location"], body) == (302, "/elsewhere", b"")
        send(sock, "/file")
        status, _headers, body = reader.response()
        assert status == 200 and body == (ROOT / "tests" / "server" / "wsgi_app.py").read_bytes()
        send(sock, "/stream")
        while b"0\r\n\r\n" not in reader.buffer:
            reader._fill()
        head, chunked = reader.buffer.split(b"\r\n\r\n", 1)
        reader.buffer = b""
        assert b"transfer-encoding: chunked" in head.lower()
        assert chunked == b"4\r\none \r\n4\r\ntwo \r\n5\r\nthree\r\n0\r\n\r\n"
        send(sock, "/anything", method="HEAD")  # a head with a Content-Length, and no body
        while b"\r\n\r\n" not in reader.buffer:
            reader._fill()
        head, reader.buffer = reader.buffer.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200") and b"\r\ndate: " in head.lower()
        send(sock, "/after")  # the connection is still in step: no stray bytes came before this
        assert reader.response()[2].decode().endswith(" /after")
