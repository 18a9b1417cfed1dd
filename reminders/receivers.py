"""Signal receivers: each hands its event to a task, so the request that caused it stays fast. They live apart from
the functions the tasks call, so that the tasks can import those functions without a cycle."""

from contextvars import ContextVar

from django.utils import timezone

from learning.materials.models import GuidelineUpdatePage
from reminders.guideline_notifications import mark_announced
from reminders.models import ManagerDigest, Reminder
from reminders.tasks import notify_guideline_update_task, process_tracking_event
from reminders.tracking import STATUS_FOR_EVENT, event_key, is_soft_bounce, reminder_ids_from


def on_tracking(sender, event, esp_name, **kwargs):
    """anymail's tracking signal: hand the event to a task, so the ESP gets a fast answer."""
    if event.event_type not in STATUS_FOR_EVENT or is_soft_bounce(event):
        return
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    process_tracking_event.delay_on_commit(
        event_key(event),
        event.event_type,
        event.message_id or "",
        (event.recipient or "").lower(),
        (event.description or "")[:255],
        reminder_ids_from(metadata.get(Reminder.metadata_key, "")),
        reminder_ids_from(metadata.get(ManagerDigest.metadata_key, "")),
    )


# Set while the admin copies pages (Wagtail's before_copy_page hook) until the request ends: a copy published with
# "Publish copies" is published for the first time, but its courses were told of the original already.
copying_pages: ContextVar[bool] = ContextVar("copying_pages", default=False)


def on_page_published(sender, instance, **kwargs):
    """Wagtail's page_published signal: on a guideline update's publication, queue the emails to the courses it
    did not announce yet (reminders.guideline_notifications). Never for an alias (Wagtail publishes each alias
    with its original, which announced it); a copy published with "Publish copies" records its courses as
    announced, emailing nobody then or when it is published again."""
    if not isinstance(instance, GuidelineUpdatePage) or instance.alias_of_id:
        return
    if copying_pages.get():
        mark_announced(instance, timezone.now())
        return
    notify_guideline_update_task.delay_on_commit(instance.pk)


def on_copy_page(request, page):
    """Wagtail's before_copy_page hook: what the copy publishes is recorded as announced, and emails nobody."""
    copying_pages.set(True)


def on_request_finished(sender, **kwargs):
    """Django's request_finished: a copy's request is over (even one that failed before after_copy_page)."""
    copying_pages.set(False)
