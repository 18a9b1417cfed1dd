"""The marks that send a participant's certifications back through the incremental scan.

The daily scan looks only at the stage dates reached since its last run. A certification whose stage was reached
earlier, while it got no reminder (its holder was booked, opted out or suppressed; a newer certification, a renewal
or a revocation stood in the way), would never be looked at again when that changes. So whatever change can make a
certification eligible again marks its holder (a `Recheck` row), and the next scan looks at the marked holders'
certifications with every stage window, as the full scan would:

- a certification saved (new, an expiry, a revocation, a renewal link, its holder or course changed) or deleted;
  written in bulk by the import (learning.register.signals.certifications_written);
- a booking whose status, date or participant changed, or that was deleted; a course date whose end or course
  changed (its bookers);
- a participant whose address, active flag or reminder choice changed;
- a suppression removed or whose address changed (the participants at the old and the new address).

Each mark is written twice around a save, from the row as stored before it and after it, so that a certification
moved from one participant to another marks both. New bookings, participants and suppressions mark nobody: they
can only stop reminders. A booking that simply ends needs no mark: the scan asks for the bookings that ended since
its last run. Writes that bypass Django's signals and the import's (raw SQL, QuerySet.update on these fields) mark
nobody: after one, run `send_reminders --full`.
"""

from django.db import connection
from django.db.models import QuerySet
from django.db.models.functions import Lower
from django.db.models.signals import post_save, pre_delete, pre_save

from learning.models import Booking, Certification, CourseDate, User
from learning.register.signals import certifications_written
from reminders.models import Recheck, Suppression

# The fields whose change can make a certification eligible for a reminder again, by model; a save that names
# its update_fields and none of these (a login's last_login, a booking's results) marks nobody.
DECIDING_FIELDS = {
    Certification: {"participant", "course", "expires_on", "revoked_at", "renewed_by"},
    Booking: {"participant", "course_date", "status"},
    CourseDate: {"course", "ends_on"},
    User: {"email", "is_active", "wants_reminders"},
    Suppression: {"email"},
}
# Models whose new rows may be due at once: a certification entered with an expiry whose stage has passed.
MARKED_WHEN_CREATED = {Certification}


def holders(model, pk) -> QuerySet:
    """The ids of the participants whose reminders the row `pk` of `model` bears on, as a one-column queryset."""
    if model in (Certification, Booking):
        return model.objects.filter(pk=pk).values("participant_id")
    if model is CourseDate:
        return Booking.objects.filter(course_date_id=pk).values("participant_id")
    if model is Suppression:
        addresses = Suppression.objects.filter(pk=pk).annotate(address=Lower("email")).values("address")
        return User.objects.annotate(address=Lower("email")).filter(address__in=addresses).values("pk")
    return User.objects.filter(pk=pk).values("pk")


def mark(participants: QuerySet) -> None:
    """Marks the participants of a one-column queryset of ids, in one INSERT … SELECT."""
    select_sql, params = participants.query.sql_with_params()
    table = Recheck._meta.db_table
    with connection.cursor() as cursor:
        # Only Django's own SQL and the table's name are interpolated; the values are parameters.
        cursor.execute(
            f"INSERT INTO {table} (participant_id, claimed) SELECT DISTINCT held.*, %s FROM ({select_sql}) AS held",  # noqa: S608
            [False, *params],
        )


def mark_participants(participant_ids) -> None:
    Recheck.objects.bulk_create([Recheck(participant_id=pk) for pk in set(participant_ids)], batch_size=1000)


def touches(model, update_fields) -> bool:
    if update_fields is None:
        return True
    named = DECIDING_FIELDS[model]
    return any(name in named or name.removesuffix("_id") in named for name in update_fields)


def before_save(sender, instance, raw=False, update_fields=None, **kwargs):
    """The row as stored before the save: whoever it bore on may be free of it now."""
    if raw or instance._state.adding or not touches(sender, update_fields):
        return
    mark(holders(sender, instance.pk))


def after_save(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or not touches(sender, update_fields) or (created and sender not in MARKED_WHEN_CREATED):
        return
    mark(holders(sender, instance.pk))


def before_delete(sender, instance, **kwargs):
    """Before the row goes, while it still says whom it bore on (a deleted renewal frees the one it renewed)."""
    mark(holders(sender, instance.pk))


def after_bulk_write(sender, participant_ids, **kwargs):
    """`participant_ids` are ids, or a one-column queryset of them from a writer that keeps them in the database
    (the import on PostgreSQL): those are marked in one INSERT … SELECT, without coming into Python."""
    if isinstance(participant_ids, QuerySet):
        mark(participant_ids)
    else:
        mark_participants(participant_ids)


def connect() -> None:
    """Called once by the app's ready()."""
    for model in DECIDING_FIELDS:
        uid = f"reminders.rechecks.{model._meta.label_lower}"
        pre_save.connect(before_save, sender=model, dispatch_uid=f"{uid}.pre_save")
        post_save.connect(after_save, sender=model, dispatch_uid=f"{uid}.post_save")
        if model is not User:  # a participant with certifications or bookings cannot be deleted (PROTECT)
            pre_delete.connect(before_delete, sender=model, dispatch_uid=f"{uid}.pre_delete")
    certifications_written.connect(after_bulk_write, dispatch_uid="reminders.rechecks.bulk")


def claim() -> None:
    """The scan's first step: the marks written so far are this scan's; marks written while it runs wait for the
    next one (they are not claimed, and a change committed after this point may not be in what it reads)."""
    Recheck.objects.filter(claimed=False).update(claimed=True)


def claimed_participants() -> set[int]:
    return set(Recheck.objects.filter(claimed=True).values_list("participant_id", flat=True))


def release() -> None:
    """The scan's last step, in its transaction: its marks are done with."""
    Recheck.objects.filter(claimed=True).delete()
