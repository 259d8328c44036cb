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
