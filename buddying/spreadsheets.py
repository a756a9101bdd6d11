"""Text made safe for spreadsheets, for every CSV and XLSX the service writes (reports, the pool page)."""

FORMULA_TRIGGERS = frozenset("=+-@")


def neutralise(text: str) -> str:
    """A text cell made safe to open in a spreadsheet: '=cmd' -> "'=cmd", '\\t=1' -> "'\\t=1".

    A cell starting with = + - @ or a control character would run as a formula (CSV injection); the
    leading apostrophe makes the spreadsheet show it as text instead.
    """
    if text and (text[0] in FORMULA_TRIGGERS or text[0] < " " or text[0] == "\x7f"):
        return "'" + text
    return text
