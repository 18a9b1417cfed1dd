"""Which addresses may become a link on a page: the one rule that every link coming from data (an editor's field,
an imported file) passes before it can be rendered into an `href` or a `src`.

Allowed are `http://` and `https://` addresses with a host, `mailto:` addresses, addresses on this site starting
with a single `/`, and `#fragment` links to a place on the same page. Everything else is refused: other schemes
(`javascript:`, `data:`, `vbscript:`, `file:` …), protocol-relative `//host` addresses, and relative paths whose
meaning depends on the page they sit on.
"""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

ALLOWED_SCHEMES = ("http", "https", "mailto")
SCHEME = re.compile(r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*):")
# Browsers drop tabs and newlines inside an address and read a backslash as a slash, so that `java\tscript:`
# runs as `javascript:` and `/\evil.example` leaves the site: an address with any of them is refused outright.
DISGUISING_CHARACTERS = re.compile(r"[\x00-\x20\x7f\\]")

ALLOWED_TEXT = "only http://, https:// and mailto: addresses, or addresses on this site starting with /, may be links"


def link_problem(url: str) -> str | None:
    """Why `url` may not be a link on a page, or None when it may."""
    if DISGUISING_CHARACTERS.search(url):
        return f"{url!r} contains a space, a control character or a backslash; {ALLOWED_TEXT}"
    if url.startswith("//"):
        return f"{url!r} leaves the site without a scheme; write https:{url}, or start it with a single /"
    if url.startswith(("/", "#")):
        return None
    found = SCHEME.match(url)
    if not found:
        return f"{url!r} is not a full address; {ALLOWED_TEXT}"
    scheme = found.group("scheme").lower()
    if scheme not in ALLOWED_SCHEMES:
        return f"{url!r} is a {scheme}: link; {ALLOWED_TEXT}"
    rest = url[found.end() :]
    if scheme == "mailto":
        return None if rest else f"{url!r} names no address to write to"
    try:
        host = urlsplit(url).hostname if rest.startswith("//") else None
    except ValueError:
        host = None
    return None if host else f"{url!r} names no host; write it like https://www.example.org/page"


def is_safe_link(url: str) -> bool:
    return link_problem(url) is None


def validate_link(value: str) -> None:
    """The model-field validator: the admin form shows the problem on the field."""
    problem = link_problem(value)
    if problem:
        raise ValidationError(f"{problem}.", code="unsafe_link")
