"""Logging helpers for the settings' LOGGING."""

import logging


class BriefFormatter(logging.Formatter):
    """One line per record: the message without the traceback (for expected, repeated errors)."""

    def format(self, record):
        record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
        return super().format(record)
