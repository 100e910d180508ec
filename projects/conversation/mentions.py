"""@mentions in a comment's plain text: finding the names, and the body as safe HTML with mentions and links.

A mention is ``@`` and a username (letters, digits and ``. _ + -``, as
Django's usernames allow, but no ``@``), not preceded by a letter, digit or
``@`` (so ``ann@example.com`` mentions nobody). A full stop or other
punctuation that ends the sentence is not part of the name. Usernames are the
one sure form: two people may share a full name, never a username.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from django.utils.html import linebreaks
from django.utils.safestring import SafeString, mark_safe

#: The most names one comment may mention (the rest are ignored): a comment is not a mailing list.
MAX_MENTIONS = 30

MENTION = re.compile(r"(?<![\w@])@([\w.+-]*\w)")
URL = re.compile(r"\bhttps?://[^\s<>\"']+[^\s<>\"'.,;:!?)\]]")


def mentioned_names(body: str) -> list[str]:
    """The usernames ``body`` mentions, lowercased, each once, in order of first mention (at most
    :data:`MAX_MENTIONS`)."""
    found: dict[str, None] = {}
    for match in MENTION.finditer(body):
        found.setdefault(match.group(1).lower(), None)
    return list(found)[:MAX_MENTIONS]


def _linked(html: str, mentioned: Collection[str]) -> str:
    """Escaped ``html`` with its http(s) addresses as links and the mentions of ``mentioned`` marked up
    (never inside an address)."""

    def mention(match: re.Match[str]) -> str:
        name = match.group(0)
        return f'<mark class="mention">{name}</mark>' if match.group(1).lower() in mentioned else name

    out = []
    # With the pattern captured, split() puts the addresses at the odd places.
    for index, piece in enumerate(re.split(f"({URL.pattern})", html)):
        if index % 2:
            out.append(f'<a href="{piece}" rel="nofollow noopener noreferrer" target="_blank">{piece}</a>')
        else:
            out.append(MENTION.sub(mention, piece))
    return "".join(out)


def body_html(body: str, *, mentioned: Collection[str] = ()) -> SafeString:
    """``body`` (plain text) as HTML: escaped first, then paragraphs and line breaks, http(s) addresses as links
    that open in a new tab, and the ``@names`` of ``mentioned`` (lowercased usernames) highlighted.

    Escaping comes before any markup is added, so nothing the writer typed is ever HTML; a link's address is
    escaped text that matched ``http(s)://``, so it can never be ``javascript:``.
    """
    # linebreaks() escapes the text itself (autoescape=True) and then adds <p> and <br>, which contain no URL.
    html = linebreaks(body, autoescape=True)
    names = {name.lower() for name in mentioned}
    return mark_safe(_linked(html, names))  # noqa: S308 - escaped above; only our own markup is added
