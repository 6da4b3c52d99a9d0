"""Builders for known-error tests and the demo: drafts and published known errors, made through the services."""

from . import services


def make_known_error(author, *, publish_as=None, **fields):
    """A known error written by `author` (an agent); published by `publish_as` (a lead) when given."""
    fields.setdefault("title", "Printer jams on the third floor")
    fields.setdefault("symptoms", "The printer stops with a paper jam light.")
    fields.setdefault("root_cause", "Worn feed rollers.")
    fields.setdefault("workaround", "Use the manual feed tray.")
    known_error = services.create_known_error(actor=author, **fields)
    if publish_as is not None:
        known_error = services.publish_known_error(known_error, actor=publish_as)
    return known_error
