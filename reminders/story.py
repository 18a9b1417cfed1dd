"""Each outbox row keeps its story, a line per event (claimed, no answer, accepted, delivered …), which the outbox
shows administrators. Appended in the same UPDATE that changes the row."""

import datetime

from django.db.models import F, Value
from django.db.models.functions import Concat


def story_line(now: datetime.datetime, text: str) -> str:
    return f"{now:%Y-%m-%d %H:%M:%S %Z}: {text}\n"


def with_story(now: datetime.datetime, text: str, **fields) -> dict:
    """Arguments for QuerySet.update(): `fields`, the update time, and one more line in each row's story."""
    return {**fields, "story": Concat(F("story"), Value(story_line(now, text))), "updated_at": now}
