"""Template filters for sentences built from data (learning.common.words)."""

from django import template

from learning.common.words import with_article

register = template.Library()


@register.filter(name="with_article")
def with_article_filter(word) -> str:
    """{{ course.code|with_article }} gives "an ALS1" or "a BLS"."""
    return with_article(str(word))
