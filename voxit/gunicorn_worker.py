"""A gunicorn worker whose threads take ready connections straight from one shared epoll.

gunicorn's ``gthread`` worker passes every request between threads twice: the main thread polls
the kept-alive connections and hands a readable one to the thread pool, and the pool thread
hands it back through a pipe when the response is written, after which the main thread
registers the socket with its poller again. Each request pays for two thread wake-ups, a pipe
write and read, two poller changes and two switches of the socket's blocking mode, all under
the interpreter lock the request itself needs.

Here the ``threads`` serving threads all wait on one epoll instance in which every connection is
registered one-shot: the kernel gives a ready connection to exactly one waiting thread, which
answers the request where it is and re-arms the connection. A request costs one wait and one
re-arm, no hand-over; whichever thread is free takes the next ready connection, so no
connection waits behind another thread's queue. While one thread waits for the database, the
others answer theirs, as in ``gthread``. The main thread takes new connections, tells the arbiter
the worker is alive and closes connections idle longer than ``keepalive``.

Balanced connections. A kept-alive connection stays with the worker that took it, and a worker
answers its connections in turn, so a resident's wait grows with the number of connections
their worker holds. With ``SO_REUSEPORT`` the kernel hashes new connections over the workers'
sockets and the split is as uneven as chance makes it: under the load benchmark 28 of 64
residents waited 58 ms a vote and the other 36 waited 72 ms. With one listening socket shared by
all workers (the default here), a worker takes a new connection only when no live worker holds
fewer: every worker writes its connection count, with a heartbeat, into memory shared across the
fork (:class:`ConnectionShares`), and one holding more leaves the connection waiting a
millisecond for the one with fewer (a quarter of a second at most, so that a stuck worker holds
up nobody). Counts drift apart as connections come and go, and a worker started later (a
recycled one's replacement) begins with none: a worker holding two or more than the fewest
answers a request with "Connection: close", one connection at a time, and the client's new
connection goes to the worker with fewer.

Stopping (a restart, or recycled after ``max_requests``) resets no connection: a stopping worker
takes no new connections (with ``SO_REUSEPORT``, where its socket has a queue of its own, it takes
what waits there and closes the socket at once, so that the kernel sends new connections to the
other workers instead of queueing them at this one until it ends); a kept-alive connection is
kept until its next request, answered with "Connection: close", or until it has been idle for
the keep-alive time. ``gthread`` keeps its socket open to the end and closes idle connections
after two seconds, so connections arriving meanwhile are reset and a request sent as an idle
connection closes is lost.

Requests are parsed, answered and logged by gunicorn's own code (``ThreadWorker.handle``, which
this class inherits), so limits, errors, ``max_requests`` and the access log behave as in
``gthread``. Plain HTTP/1.x only: Voxit is served behind a TLS proxy (``docker-compose.yml``),
so this worker refuses gunicorn's TLS and HTTP/2 settings at start. Linux only (epoll);
``voxit/gunicorn.conf.py`` falls back to ``gthread`` elsewhere.
"""

from __future__ import annotations

import errno
import mmap
import multiprocessing
import os
import select
import socket
import threading
import time

from gunicorn import util as gunicorn_util
from gunicorn.workers.gthread import TConn, ThreadWorker

__all__ = ["ConnectionShares", "EpollThreadWorker", "available"]

_READY = select.EPOLLIN | select.EPOLLONESHOT if hasattr(select, "epoll") else 0
_WAIT_SECONDS = 1.0
_ACCEPT_BATCH = 64
_DEFER_SECONDS = 0.001  # how long a worker with more connections leaves a new one to the others
_DEFER_LIMIT_SECONDS = 0.25  # a new connection waits at most this long for a worker with fewer
_DEFER_EPISODE_SECONDS = 0.05  # deferring again within this: still for the same waiting connection
_HEARTBEAT_SECONDS = _WAIT_SECONDS / 2
_STALE_SECONDS = 5.0  # a worker silent this long (gone, or stuck) is not waited for
_SHED_INTERVAL_SECONDS = 0.02  # a worker holding too many hands over one connection at a time


def available() -> bool:
    """Whether this platform has what the worker needs (epoll)."""
    return hasattr(select, "epoll")


class ConnectionShares:
    """Every worker's number of open connections, in memory the master shares with the workers it
    forks: a slot per worker holding its pid, a heartbeat and its count, and how many slots have
    ever been taken. Counts are written by their own worker only; a reader may see one a moment
    old, which costs at most a connection of balance."""

    SLOTS = 64
    _PID, _BEAT, _COUNT = range(3)

    def __init__(self):
        self._memory = mmap.mmap(-1, (self.SLOTS * 3 + 1) * 8)
        self._cells = memoryview(self._memory).cast("q")
        self._used = self.SLOTS * 3  # the cell holding how many slots have been taken
        self._claiming = multiprocessing.Lock()

    def claim(self, pid: int, now: float) -> int | None:
        """A slot for worker ``pid``: a free one or one whose worker has gone silent; None when
        there are more workers than slots (that worker then takes connections unbalanced)."""
        cells = self._cells
        with self._claiming:
            for slot in range(self.SLOTS):
                base = slot * 3
                if cells[base + self._PID] == 0 or self._stale(slot, now):
                    cells[base + self._COUNT] = 0
                    cells[base + self._BEAT] = self._millis(now)
                    cells[base + self._PID] = pid
                    cells[self._used] = max(cells[self._used], slot + 1)
                    return slot
        return None

    def release(self, slot: int) -> None:
        self._cells[slot * 3 + self._PID] = 0

    def update(self, slot: int, count: int, now: float | None = None) -> None:
        base = slot * 3
        self._cells[base + self._COUNT] = count
        if now is not None:
            self._cells[base + self._BEAT] = self._millis(now)

    def fewest_elsewhere(self, slot: int, now: float) -> int | None:
        """The fewest connections any other live worker holds; None when there is none."""
        cells, fewest = self._cells, None
        for other in range(cells[self._used]):
            if other == slot or cells[other * 3 + self._PID] == 0 or self._stale(other, now):
                continue
            count = cells[other * 3 + self._COUNT]
            fewest = count if fewest is None else min(fewest, count)
        return fewest

    def _stale(self, slot: int, now: float) -> bool:
        return self._millis(now) - self._cells[slot * 3 + self._BEAT] > _STALE_SECONDS * 1000

    @staticmethod
    def _millis(now: float) -> int:
        return int(now * 1000)  # time.monotonic(): one clock for every process on the machine


# Made when the master imports this module (gunicorn.conf.py names the worker class), so every
# worker it forks shares it.
SHARES = ConnectionShares() if available() else None


class _HeadHeldSocket:
    """A connection's socket while one response is written: gunicorn writes the status line and
    headers, then the body, each with a send of its own; here the first write is held back and
    leaves with the second, so a response goes out in one send and reaches the client in one
    segment (a system call and a wake-up of the client fewer per request, measured with
    ``python -m bench.load``). Anything else asked of the socket (sendfile, shutdown, close)
    sends what is held first, so bytes always leave in the order they were written."""

    __slots__ = ("_sock", "_held", "_first")

    def __init__(self, sock):
        self._sock = sock
        self._held = None
        self._first = True

    def sendall(self, data):
        if self._first:
            self._first = False
            self._held = bytes(data)
            return
        if self._held is not None:
            data, self._held = self._held + data, None
        self._sock.sendall(data)

    def flush(self) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self._sock.sendall(held)

    def __getattr__(self, name):
        self.flush()
        return getattr(self._sock, name)


def _http_date_per_second(original):
    """gunicorn's Date header, formatted once a second instead of once a response (email.utils'
    formatting cost a fiftieth of a vote's CPU in the web process)."""
    latest = (0, "")

    def http_date(timestamp=None):
        nonlocal latest
        if timestamp is not None:
            return original(timestamp)
        second = int(time.time())
        if latest[0] != second:
            latest = (second, original(second))
        return latest[1]

    return http_date


class EpollThreadWorker(ThreadWorker):
    """``gthread`` without the per-request hand-over: see the module docstring."""

    @classmethod
    def check_config(cls, cfg, log):
        super().check_config(cfg, log)
        if cfg.is_ssl or "h2" in (getattr(cfg, "http_protocols", None) or ()):
            raise RuntimeError(
                "EpollThreadWorker serves plain HTTP/1.x behind a TLS proxy; use gthread for TLS or HTTP/2"
            )

    def init_process(self):
        self.epoll = select.epoll()
        self.connections: dict[int, TConn] = {}
        self.lock = threading.Lock()
        self.stopping = False
        # Balancing needs a listening socket all workers take from; with SO_REUSEPORT each worker
        # has its own queue, which the kernel fills.
        self.share_slot = None
        if SHARES is not None and self.cfg.workers > 1 and not self.cfg.reuse_port:
            self.share_slot = SHARES.claim(os.getpid(), time.monotonic())
        self.deferred_since = self.deferred_last = self.shed_last = 0.0
        gunicorn_util.http_date = _http_date_per_second(gunicorn_util.http_date)
        # ThreadWorker.init_process builds a thread pool and a poller this worker does not use.
        super(ThreadWorker, self).init_process()

    def handle_exit(self, sig, frame):
        # The main thread notices within half a second (ThreadWorker's own version writes to a
        # pipe this worker does not have).
        self.alive = False

    def handle_quit(self, sig, frame):
        super(ThreadWorker, self).handle_quit(sig, frame)

    # -- serving threads ---------------------------------------------------------------------

    def _accept(self, listener: socket.socket, batch: int = _ACCEPT_BATCH) -> int:
        """Accept up to ``batch`` waiting connections; how many were accepted."""
        accepted = 0
        for _ in range(batch):
            try:
                client, address = listener.accept()
            except OSError as error:
                if error.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                    break
                if error.errno == errno.ECONNABORTED:
                    continue
                raise
            accepted += 1
            conn = TConn(self.cfg, client, address, listener.getsockname())
            conn.busy = conn.expired = False
            conn.set_timeout()
            fd = client.fileno()
            with self.lock:
                self.connections[fd] = conn
                self.nr_conns += 1
                self._share_count()
            self.epoll.register(fd, _READY)
        return accepted

    def _close(self, fd: int, conn: TConn, *, graceful: bool) -> None:
        with self.lock:
            self.connections.pop(fd, None)
            self.nr_conns -= 1
            self._share_count()
        try:
            self.epoll.unregister(fd)
        except (OSError, ValueError):
            pass
        try:
            conn.close(graceful=graceful)
        except OSError:
            pass

    def _share_count(self) -> None:
        if self.share_slot is not None:
            SHARES.update(self.share_slot, self.nr_conns)

    def _turn_to_accept(self) -> bool:
        """Whether this worker should take the waiting connection: no live worker holds fewer,
        or it has been left waiting too long (see the module docstring)."""
        if self.share_slot is None:
            return True
        now = time.monotonic()
        fewest = SHARES.fewest_elsewhere(self.share_slot, now)
        if fewest is None or self.nr_conns <= fewest:
            return True
        if now - self.deferred_last > _DEFER_EPISODE_SECONDS:  # a new connection, not the last one
            self.deferred_since = now
        self.deferred_last = now
        return now - self.deferred_since > _DEFER_LIMIT_SECONDS

    def _should_shed(self) -> bool:
        """Whether to hand one of this worker's connections to a worker holding fewer: it holds at
        least two more than the fewest. Looked at once per interval, so that one connection is
        handed over at a time (its close lowers the count) and a request costs one clock read."""
        if self.share_slot is None:
            return False
        now = time.monotonic()
        if now - self.shed_last < _SHED_INTERVAL_SECONDS:  # at most one look per interval
            return False
        self.shed_last = now
        fewest = SHARES.fewest_elsewhere(self.share_slot, now)
        return fewest is not None and self.nr_conns >= fewest + 2

    def handle_request(self, req, conn):
        if self._should_shed():
            # Answered as usual, with "Connection: close": the client's next request opens a new
            # connection, which the worker holding the fewest takes.
            req.must_close = True
        sock = conn.sock
        conn.sock = held = _HeadHeldSocket(sock)
        try:
            return super().handle_request(req, conn)
        finally:
            conn.sock = sock
            try:
                held.flush()  # a response with no body (a redirect, HEAD) is its head alone
            except OSError:  # the client went: handle() finds the connection closed
                pass

    def _serve(self, fd: int) -> None:
        with self.lock:
            conn = self.connections.get(fd)
            if conn is None:
                return
            conn.busy = True
        # The kernel reported data, so ``handle`` need not wait for it; the socket stays in
        # blocking mode between requests, as ``handle`` leaves it (epoll does not mind).
        conn.data_ready = True
        while True:
            keep = self.handle(conn)
            if keep is not True:  # answered with "Connection: close", or the client went
                self._close(fd, conn, graceful=True)
                return
            # Reading the rest of a body can read ahead into the next request; those bytes no
            # longer make the socket readable, so they are answered now.
            if not conn.parser.unreader.buf.getvalue():
                break
        conn.set_timeout()
        conn.busy = False
        try:
            self.epoll.modify(fd, _READY)
        except OSError:  # not left registered and unwatched: closed instead
            self._close(fd, conn, graceful=False)

    def _serving_thread(self) -> None:
        while True:
            try:
                events = self.epoll.poll(_WAIT_SECONDS, 1)
            except OSError as error:
                if error.errno == errno.EINTR:
                    continue
                if error.errno == errno.EBADF:  # closed at shutdown
                    return
                raise
            except ValueError:  # closed at shutdown
                return
            if not events:
                if self.stopping and not self.connections:
                    return
                continue
            fd = events[0][0]
            try:
                self._serve(fd)
            except Exception:  # noqa: BLE001 - handle() answers request errors; this is the socket
                self.log.exception("Error serving a connection")
                conn = self.connections.get(fd)
                if conn is not None:  # not left disarmed and open
                    self._close(fd, conn, graceful=False)

    # -- main thread -------------------------------------------------------------------------

    def _expire_idle(self, now: float) -> None:
        """Shut idle connections down; the thread that sees them readable (EOF) closes them, so
        a socket is only ever closed by the thread that holds it."""
        with self.lock:
            expired = [c for c in self.connections.values() if not c.busy and c.timeout <= now]
        for conn in expired:
            if conn.expired:
                continue
            conn.expired = True
            try:
                conn.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _accept_waiting(self, timeout: float) -> None:
        """Wait up to ``timeout`` for new connections and take them (the main thread's work)."""
        if self.nr_conns >= self.worker_connections:  # full: none until connections have closed
            time.sleep(timeout)
            return
        try:
            events = self.listening.poll(timeout)
        except InterruptedError:
            return
        for fd, _event in events:
            if not self._turn_to_accept():
                time.sleep(_DEFER_SECONDS)  # meanwhile a worker with fewer takes it
                return
            try:
                # Balanced: one at a time, each to the worker then holding the fewest.
                self._accept(self.listeners[fd], 1 if self.share_slot is not None else _ACCEPT_BATCH)
            except OSError:  # out of file descriptors, say: logged, and tried again shortly
                self.log.exception("Error accepting a connection")
                time.sleep(0.1)

    def run(self):
        self.listeners = {listener.fileno(): listener for listener in self.sockets}
        self.listening = select.epoll()
        for fd, listener in self.listeners.items():
            listener.setblocking(False)
            self.listening.register(fd, select.EPOLLIN)
        threads = [
            threading.Thread(target=self._serving_thread, name=f"gunicorn-serve-{i}", daemon=True)
            for i in range(max(self.cfg.threads, 1))
        ]
        for thread in threads:
            thread.start()
        next_beat = 0.0
        while self.alive:
            now = time.monotonic()
            if now >= next_beat:
                self.notify()
                if self.share_slot is not None:
                    with self.lock:
                        SHARES.update(self.share_slot, self.nr_conns, now)
                self._expire_idle(now)
                if not self.is_parent_alive():
                    self.alive = False
                    break
                next_beat = now + _HEARTBEAT_SECONDS
            self._accept_waiting(max(next_beat - now, 0.0))
        # Stopping (a restart, or recycled after max_requests): no new connections. A kept-alive
        # connection is kept until its next request, which is answered with "Connection: close",
        # or until it has been idle for the keep-alive time; closing it sooner would race a
        # request the client may already be sending.
        self.stopping = True
        with self.lock:  # the other workers no longer leave connections to this one
            slot, self.share_slot = self.share_slot, None
        if slot is not None:
            SHARES.release(slot)
        self.listening.close()
        for listener in self.sockets:
            # A socket of its own (SO_REUSEPORT): what waits there would be reset with it. A shared
            # socket's waiting connections are the other workers' to take.
            while self.cfg.reuse_port:
                try:
                    if self._accept(listener) < _ACCEPT_BATCH:
                        break
                except OSError:
                    break
            listener.close()
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while any(thread.is_alive() for thread in threads) and time.monotonic() < deadline:
            self.notify()
            self._expire_idle(time.monotonic())
            for thread in threads:
                thread.join(0.2)
