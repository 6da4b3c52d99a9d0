"""Displayed record numbers (INC-000123, later PRB-, CHG-, REQ-) from a numeric sequence, in one place.

The sequence value is the truth; the text is derived from it with at least six digits, so INC-1000123 follows
INC-999999 and patterns must accept any count of digits (never `\\d{6}`).
"""

import re

MIN_DIGITS = 6
_DIGITS = re.compile(r"\d{1,18}", re.ASCII)


def format_number(prefix, n):
    """`format_number("INC", 123)` is "INC-000123"; past 999,999 the text simply grows ("INC-1000123")."""
    return f"{prefix}-{int(n):0{MIN_DIGITS}d}"


def parse_number(prefix, text):
    """The sequence value named by `text` ("INC-1234567", "inc-1234567", "1234567", "INC-0001234"), or None."""
    text = (text or "").strip()
    head = f"{prefix}-"
    if text[: len(head)].upper() == head.upper():
        text = text[len(head):]
    if not _DIGITS.fullmatch(text):
        return None
    return int(text)


def normalise_number(prefix, text):
    """The displayed form of whatever number `text` names (zero-padded, upper case), or `text` unchanged if it
    names none, so a lookup by the stored text accepts every spelling a person may type."""
    n = parse_number(prefix, text)
    return text if n is None else format_number(prefix, n)
