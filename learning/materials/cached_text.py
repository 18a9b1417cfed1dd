"""What the key of a manual's cached text (manual_page.html) adds to the page's own state: the moment any document
last changed. A document can be replaced, renamed or deleted without its pages being published again, and the text
lists its documents' links; with this stamp in the key, no cached link is older than the document it names.

The stamp lives in the shared cache, so that every web process sees a change at once (with the per-process cache
of a development run, other processes see it when their cached text expires, MATERIAL_TEXT_CACHE_SECONDS)."""

import time

from django.core.cache import cache

KEY = "materials:documents-changed"


def documents_stamp() -> int:
    """When a document last changed (or when this was first asked, if the cache lost it: any new value only makes
    cached texts stale, never older)."""
    return cache.get_or_set(KEY, time.time_ns, timeout=None)


def documents_changed(**kwargs) -> None:
    """Receives post_save and post_delete of the document model."""
    cache.set(KEY, time.time_ns(), timeout=None)
