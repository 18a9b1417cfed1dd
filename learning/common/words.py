"""Small rules of English for sentences built from data: "an ALS1 course", "a BLS course", "1 credit"."""

# Letters whose spoken name starts with a vowel sound: "an ALS1", "an MRI", "a BLS", "a PILS".
VOWEL_SOUNDING_LETTERS = set("AEFHILMNORSX")


def article(word: str) -> str:
    """'a' or 'an' for `word`. A code spoken letter by letter (two capitals first, as ALS1 or BLS) goes by the name
    of its first letter; other words by their first letter's sound, roughly."""
    if not word:
        return "a"
    spelled_out = len(word) > 1 and word[:2].isupper()
    if spelled_out:
        return "an" if word[0] in VOWEL_SOUNDING_LETTERS else "a"
    return "an" if word[0].lower() in "aeiou" else "a"


def with_article(word: str) -> str:
    return f"{article(word)} {word}"


def long_date(day) -> str:
    """The one way a date is written in a sentence: "3 March 2027" (never 2027-03-03 beside it)."""
    return f"{day.day} {day:%B %Y}"


def plural(count: int, word: str) -> str:
    """ "1 minute", "15 minutes"."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def duration_words(delta) -> str:
    """A timedelta as people say it: "15 minutes", "1 hour", "1 hour 30 minutes", "2 days" (not "0:15:00")."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [plural(n, unit) for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")) if n]
    return " ".join(parts) or "less than a minute"
