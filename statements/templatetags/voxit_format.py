"""Formatting that follows the reader's language."""

from datetime import datetime

from django import template
from django.template.defaultfilters import date
from django.utils import timezone, translation

register = template.Library()


@register.filter
def percent(value) -> str:
    """``84`` as a share: "84 %" in Finnish and Swedish (a no-break space before the sign, as both
    languages write it), "84%" in English."""
    if value in (None, ""):
        return ""
    language = (translation.get_language() or "fi")[:2]
    return f"{value}%" if language == "en" else f"{value}\u00a0%"


@register.filter
def path_without_lang(request) -> str:
    """The page's path with its query (filters, sort, page) but without ``lang``: the language
    switch returns there, and a ``?lang=`` left in it would undo the switch."""
    query = request.GET.copy()
    query.pop("lang", None)
    encoded = query.urlencode()
    return f"{request.path}?{encoded}" if encoded else request.path


@register.filter(expects_localtime=True)
def day_datetime(value) -> str:
    """A moment with its weekday, in the reader's language and date format ("pe 4.12.2026 15:00",
    "Fri 4 Dec 2026 15:00"): for deadlines, where the day of the week is what a reader plans by."""
    if value in (None, ""):
        return ""
    if isinstance(value, datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)  # as a template does before this filter; also when called
    return f"{date(value, 'D')} {date(value, 'SHORT_DATETIME_FORMAT')}"
