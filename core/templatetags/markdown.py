from django import template
from django.utils.safestring import mark_safe

from core.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown")
def markdown_filter(text):
    """Markdown to sanitised HTML (raw HTML off, then nh3): safe to mark as safe."""
    return mark_safe(render_markdown(text))  # noqa: S308 - sanitised by nh3 in render_markdown
