"""Text rules shared by statement submission and seeding."""

import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")
# Zero-width and bidirectional control characters carry no visible meaning in a statement.
_INVISIBLE = dict.fromkeys(
    [0x200B, 0x2060, 0xFEFF, 0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069]
)
# The zero-width joiner and non-joiner do: between two characters they make one emoji of several
# (a family, a rainbow flag) and choose letter forms in Persian and Indic scripts. Kept there (one
# of a run), dropped where they join nothing: at either end of a word or of the text.
_JOINER = "\u200c\u200d"
_JOINER_RUN = re.compile(f"([{_JOINER}])[{_JOINER}]+")
_LOOSE_JOINER = re.compile(f"(?<!\\S)[{_JOINER}]|[{_JOINER}](?!\\S)")  # after runs are one
_JOINERS = dict.fromkeys([0x200C, 0x200D])


def clean_statement_text(text: str) -> str:
    """NFC-normalise, drop control and invisible characters, collapse runs of whitespace."""
    text = unicodedata.normalize("NFC", text or "")
    text = text.translate(_INVISIBLE)
    text = "".join(ch for ch in text if ch in "\n\t " or unicodedata.category(ch) != "Cc")
    # A lone surrogate (a JSON "\\ud800" escape) is no character and cannot be stored: it becomes
    # U+FFFD, which submission refuses as unreadable, as it does bytes that are not UTF-8.
    text = "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in text)
    text = _LOOSE_JOINER.sub("", _JOINER_RUN.sub(r"\1", text))
    return _WHITESPACE.sub(" ", text).strip()


def statement_text_key(text: str) -> str:
    """The form two statements share when they are the same text but for case and whitespace."""
    return clean_statement_text(text).translate(_JOINERS).casefold()  # a joiner hides no copy


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...) and the
# like); residents write the texts that CSV exports carry.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value) -> str:
    """A value for a CSV cell a person may open in a spreadsheet: text that would start a formula
    gets a leading apostrophe, which spreadsheets read as "this is text" (OWASP's advice)."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def spreadsheet_text(cell: str) -> str:
    """The value ``spreadsheet_safe`` wrote, read back: the apostrophe it put before text that
    would start a formula is dropped (exports without it, such as Polis' own, are unchanged)."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_STARTS) else cell
