"""Django's PostgreSQL backend with a health check that costs no round trip when nothing is wrong.

Django's CONN_HEALTH_CHECKS runs ``SELECT 1`` before the first query of every request: a round
trip to the server for each vote. A connection the server ended (a restart, a terminated backend,
a server going away) has something waiting on its socket: the server's goodbye message, or the
end of the stream. So a zero-timeout poll of the socket tells a live idle connection from a dead
one without asking the server. Only when something is waiting is the server asked, which reads
and reports it; the connection is then replaced as Django does.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed:
            return False
        try:
            waiting, _writable, failed = select.select(
                [connection.pgconn.socket], [], [connection.pgconn.socket], 0
            )
        except (OSError, ValueError, base.Database.Error):
            return False
        if not waiting and not failed:
            return True
        return super().is_usable()
