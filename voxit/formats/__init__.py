"""Voxit's date formats per language (``FORMAT_MODULE_PATH``), over Django's own.

Pages name these formats (``|date:"SHORT_DATETIME_FORMAT"``), never a pattern: "4.12.2026" is the
4th of December to a Finnish or Swedish reader and the 12th of April to many English ones, so in
English the month is written out. Finnish and Finland-Swedish both write day.month.year.
"""
