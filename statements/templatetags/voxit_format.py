"""Formatting that follows the reader's language."""

from django import template
from django.utils import translation

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
