from django import template

from core.messages import shown

register = template.Library()


@register.filter
def message(value):
    """A stored message (core.messages) in the reader's language."""
    return shown(value)
