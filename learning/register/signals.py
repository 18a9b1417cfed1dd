"""Signals of the certification register, for apps that keep data derived from it (the reminder scan's rechecks)
without the register knowing them.

Django's own model signals cover every save and delete; `certifications_written` covers the writes that bypass
them (bulk_create, bulk_update, set-based SQL). Whoever writes certifications that way sends it, with the ids of
the participants whose certifications were created or changed: a collection of ids, or, from a set-based writer
whose ids stay in the database, a one-column queryset of them (receivers may then use it as a subquery)."""

from django.dispatch import Signal

certifications_written = Signal()
