"""Messages that are stored and shown later, in the reader's language rather than the writer's.

`translatable("No user “%(value)s”.") % {"value": "bob"}` is a str in the active language (so code that shows it at
once, e.g. a form error, works as with gettext) that also remembers its msgid and parameters. `stored()` turns it
into JSON (`{"msgid": ..., "params": {...}}`) for a JSONField; `shown()` translates that JSON (or a plain stored
string, as older rows have) into the language active when it is displayed. xgettext extracts the msgids when the
function is imported as `_`.
"""

from django.utils.translation import gettext


class Message(str):
    """Text in the active language that remembers how to say itself in another."""

    msgid: str
    params: dict

    def __new__(cls, msgid, params=None):
        text = gettext(msgid)
        if params:
            text = text % params
        message = super().__new__(cls, text)
        message.msgid, message.params = msgid, dict(params or {})
        return message

    def __mod__(self, params):
        return Message(self.msgid, params)


def translatable(msgid):
    return Message(msgid)


def stored(value):
    """JSON for a message, a dict or list of messages, or anything else (kept as it is)."""
    if isinstance(value, Message):
        return {"msgid": value.msgid, "params": {key: stored(param) for key, param in value.params.items()}}
    if isinstance(value, dict):
        return {key: stored(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [stored(item) for item in value]
    return value


def shown(value):
    """The stored message in the active language (plain strings are looked up in the catalogue as they are)."""
    if isinstance(value, dict) and "msgid" in value:
        params = {key: shown(param) if isinstance(param, dict) else param  # a value the user gave stays as it is
                  for key, param in (value.get("params") or {}).items()}
        text = gettext(value["msgid"])
        return text % params if params else text
    if isinstance(value, str):
        return gettext(value) if value else value
    return value
