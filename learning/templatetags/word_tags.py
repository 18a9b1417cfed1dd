"""Template filters for sentences built from data (learning.common.words)."""

from django import template

from learning.common.words import duration_words, with_article

register = template.Library()


@register.filter(name="with_article")
def with_article_filter(word) -> str:
    """{{ course.code|with_article }} gives "an ALS1" or "a BLS"."""
    return with_article(str(word))


@register.filter(name="duration_words")
def duration_words_filter(delta) -> str:
    """{{ cooloff|duration_words }} gives "15 minutes", not "0:15:00"."""
    return duration_words(delta) if delta else ""
