"""{% idempotency_token %}: the hidden field that makes a create form's POST happen once (core.idempotency)."""

import uuid

from django import template
from django.utils.html import format_html

from core.idempotency import FORM_FIELD

register = template.Library()


@register.simple_tag
def idempotency_token():
    """A fresh token per rendered form: resending that form (double-click, retry) reuses it; a new form gets another."""
    return format_html('<input type="hidden" name="{}" value="{}">', FORM_FIELD, uuid.uuid4().hex)
