"""Template filters for links that come from data."""

from django import template

from learning.common.links import is_safe_link

register = template.Library()


@register.filter
def safe_link(url: str) -> str:
    """The address if it may be a link (`learning.common.links`), else nothing: a row saved before the rule, or
    around the forms, still cannot put a `javascript:` link on a page."""
    return url if url and is_safe_link(url) else ""
