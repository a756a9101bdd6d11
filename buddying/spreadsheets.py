"""Text made safe for spreadsheets, for every CSV and XLSX the service writes (reports, the pool page)."""

FORMULA_TRIGGERS = frozenset("=+-@")


def looks_like_formula(text: str) -> bool:
    """Whether a spreadsheet would read this text as a formula: it starts with = + - @ or a control character."""
    return bool(text) and (text[0] in FORMULA_TRIGGERS or text[0] < " " or text[0] == "\x7f")


def neutralise(text: str) -> str:
    """A text cell made safe to open in a spreadsheet: '=cmd' -> "'=cmd", '\\t=1' -> "'\\t=1".

    A cell starting with = + - @ or a control character would run as a formula (CSV injection); the
    leading apostrophe makes the spreadsheet show it as text instead. For CSV only: a CSV cell has no other way
    to say "text". An XLSX cell keeps its exact characters and says so with its style's quote prefix.
    """
    if looks_like_formula(text):
        return "'" + text
    return text
