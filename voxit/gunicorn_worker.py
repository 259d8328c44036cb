"""A gunicorn worker whose threads take ready connections straight from one shared epoll.

gunicorn's ``gthread`` worker passes every request between threads twice: the main thread polls
the kept-alive connections and hands a readable one to the thread pool, and the pool thread
hands it back through a pipe when the response is written, after which the main thread
registers the socket with its poller again. Each request pays for two thread wake-ups, a pipe
write and read, two poller changes and two switches of the socket's blocking mode, all under
the interpreter lock the request itself needs.

Here the ``threads`` serving threads all wait on one epoll instance in which every connection
(and the listening socket) is registered one-shot: the kernel gives a ready connection to
exactly one waiting thread, which answers the request where it is and re-arms the connection.
A request costs one wait and one re-arm, no hand-over; whichever thread is free takes the next
ready connection, so no connection waits behind another thread's queue. While one thread waits
for the database, the others answer theirs, as in ``gthread``. The main thread only tells the
arbiter the worker is alive and closes connections idle longer than ``keepalive``.

Stopping (a restart, or recycled after ``max_requests``) resets no connection: the connections
waiting in the worker's listening sockets are taken and the sockets closed at once, so that with
``SO_REUSEPORT`` the kernel sends new connections to the other workers instead of queueing them
at this one until it ends; a kept-alive connection is kept until its next request, answered with
"Connection: close", or until it has been idle for the keep-alive time. ``gthread`` keeps its
socket open to the end and closes idle connections after two seconds, so connections arriving
meanwhile are reset and a request sent as an idle connection closes is lost.

Requests are parsed, answered and logged by gunicorn's own code (``ThreadWorker.handle``, which
this class inherits), so limits, errors, ``max_requests`` and the access log behave as in
``gthread``. Plain HTTP/1.x only: Voxit is served behind a TLS proxy (``docker-compose.yml``),
so this worker refuses gunicorn's TLS and HTTP/2 settings at start. Linux only (epoll);
``voxit/gunicorn.conf.py`` falls back to ``gthread`` elsewhere.
"""

from __future__ import annotations

import contextlib
import errno
import select
import socket
import threading
import time

from gunicorn.workers.gthread import TConn, ThreadWorker

__all__ = ["EpollThreadWorker", "available"]

_READY = select.EPOLLIN | select.EPOLLONESHOT if hasattr(select, "epoll") else 0
_WAIT_SECONDS = 1.0
_ACCEPT_BATCH = 64


def available() -> bool:
    """Whether this platform has what the worker needs (epoll)."""
    return hasattr(select, "epoll")


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
        self.listeners_paused = False
        # ThreadWorker.init_process builds a thread pool and a poller this worker does not use.
        super(ThreadWorker, self).init_process()

    def handle_exit(self, sig, frame):
        # The main thread notices within half a second (ThreadWorker's own version writes to a
        # pipe this worker does not have).
        self.alive = False

    def handle_quit(self, sig, frame):
        super(ThreadWorker, self).handle_quit(sig, frame)

    # -- serving threads ---------------------------------------------------------------------

    def _accept(self, listener: socket.socket) -> int:
        """Accept up to a batch of waiting connections; how many were accepted."""
        accepted = 0
        for _ in range(_ACCEPT_BATCH):
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
            self.epoll.register(fd, _READY)
        return accepted

    def _close(self, fd: int, conn: TConn, *, graceful: bool) -> None:
        with self.lock:
            self.connections.pop(fd, None)
            self.nr_conns -= 1
        try:
            self.epoll.unregister(fd)
        except (OSError, ValueError):
            pass
        try:
            conn.close(graceful=graceful)
        except OSError:
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
        listeners = {listener.fileno(): listener for listener in self.sockets}
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
            listener = listeners.get(fd)
            if listener is not None:
                if not self.alive:
                    continue  # stopping (or recycled): the listener stays unarmed
                try:
                    self._accept(listener)
                except OSError:  # out of file descriptors, say: logged, and tried again shortly
                    self.log.exception("Error accepting a connection")
                    time.sleep(0.1)
                if self.nr_conns < self.worker_connections:
                    with contextlib.suppress(OSError):  # unregistered by a stop meanwhile
                        self.epoll.modify(fd, _READY)
                else:  # full: the main thread re-arms it once connections have closed
                    self.listeners_paused = True
                continue
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

    def run(self):
        for listener in self.sockets:
            listener.setblocking(False)
            self.epoll.register(listener.fileno(), _READY)
        threads = [
            threading.Thread(target=self._serving_thread, name=f"gunicorn-serve-{i}", daemon=True)
            for i in range(max(self.cfg.threads, 1))
        ]
        for thread in threads:
            thread.start()
        while self.alive:
            self.notify()
            if self.listeners_paused and self.nr_conns < self.worker_connections:
                self.listeners_paused = False
                for listener in self.sockets:
                    self.epoll.modify(listener.fileno(), _READY)
            time.sleep(_WAIT_SECONDS / 2)
            self._expire_idle(time.monotonic())
            if not self.is_parent_alive():
                self.alive = False
        # Stopping (a restart, or recycled after max_requests): no new connections. A kept-alive
        # connection is kept until its next request, which is answered with "Connection: close",
        # or until it has been idle for the keep-alive time; closing it sooner would race a
        # request the client may already be sending.
        self.stopping = True
        for listener in self.sockets:
            with contextlib.suppress(OSError, ValueError):
                self.epoll.unregister(listener.fileno())
            while True:
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
