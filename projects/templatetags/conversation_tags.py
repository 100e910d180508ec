"""Template filters of comments."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from projects.conversation.mentions import body_html

register = template.Library()


@register.filter
def comment_html(body: str) -> SafeString:
    """A comment's plain text as safe HTML: escaped, paragraphs and line breaks, http(s) addresses linked."""
    return body_html(body)
