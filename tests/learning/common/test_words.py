"""Sentences built from data read as English: the article before a course code."""

import datetime

import pytest

from learning.common.words import duration_words, with_article


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


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (datetime.timedelta(minutes=15), "15 minutes"),
        (datetime.timedelta(minutes=1), "1 minute"),
        (datetime.timedelta(hours=1, minutes=30), "1 hour 30 minutes"),
        (datetime.timedelta(days=2), "2 days"),
        (datetime.timedelta(seconds=20), "less than a minute"),
    ],
)
def test_a_duration_reads_as_words(delta, words):
    assert duration_words(delta) == words
