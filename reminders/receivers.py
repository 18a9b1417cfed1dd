"""Signal receivers: each hands its event to a task, so the request that caused it stays fast. They live apart from
the functions the tasks call, so that the tasks can import those functions without a cycle."""

from learning.materials.models import GuidelineUpdatePage
from reminders.guideline_notifications import is_first_publication
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


def on_page_published(sender, instance, **kwargs):
    """Wagtail's page_published signal: on a guideline update's first publication, queue the emails."""
    if isinstance(instance, GuidelineUpdatePage) and is_first_publication(instance):
        notify_guideline_update_task.delay_on_commit(instance.pk)
