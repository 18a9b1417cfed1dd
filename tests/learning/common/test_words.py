"""Sentences built from data read as English: the article before a course code."""

import pytest

from learning.common.words import with_article


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("ALS1", "an ALS1"),
        ("ALS2", "an ALS2"),
        ("BLS", "a BLS"),
        ("EPALS", "an EPALS"),
        ("PILS", "a PILS"),
        ("MRI", "an MRI"),
        ("update", "an update"),
        ("course", "a course"),
    ],
)
def test_the_article_follows_how_the_word_is_spoken(word, expected):
    assert with_article(word) == expected
