"""The reminder pipeline in the Wagtail admin: the outbox with filters, each reminder's email as sent, re-queueing
failed ones, the managers' digests, the suppression list, the editable stages, and a dashboard panel of the last 30
days."""

import datetime

import django_filters
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from learning.common.admin import RecordViewSet
from learning.common.spreadsheets import FormulaSafeExportMixin
from learning.models import CoursePage
from reminders.emails import email_as_sent
from reminders.models import ManagerDigest, Reminder, ReminderStage, Suppression
from reminders.scan import local_today


class WrittenByThePipelinePolicy(ModelPermissionPolicy):
    """Reminders and digests are written by the scan and the sending, and settled by the ESP's events: the admin
    reads them (and re-queues a failed reminder, under its own permission), but never adds, edits or deletes one,
    whatever the user's permissions: a hand-set status would make the outbox lie about what was sent."""

    def user_has_permission(self, user, action):
        return action not in ("add", "change", "delete") and super().user_has_permission(user, action)


register_permission_policy(Reminder, WrittenByThePipelinePolicy(Reminder))
register_permission_policy(ManagerDigest, WrittenByThePipelinePolicy(ManagerDigest))


class ReminderFilterSet(WagtailFilterSet):
    course = django_filters.ModelChoiceFilter(
        queryset=CoursePage.objects.all(), field_name="certification__course", label="Course"
    )
    due_on = django_filters.DateFromToRangeFilter(label="Due", widget=DateRangePickerWidget)

    class Meta:
        model = Reminder
        fields = ["stage", "status", "course", "due_on"]


class EmailColumn(Column):
    cell_template_name = "reminders/admin/email_cell.html"


class ReminderIndexView(FormulaSafeExportMixin, IndexView):
    default_ordering = "-due_on"

    def get_base_queryset(self):
        return Reminder.objects.select_related("stage", "certification__course", "certification__participant")


class ReminderViewSet(RecordViewSet):
    model = Reminder
    icon = "mail"
    menu_label = "Reminder outbox"
    inspect_view_enabled = True
    index_view_class = ReminderIndexView
    filterset_class = ReminderFilterSet
    list_display = [
        Column("due_on", label="Due", sort_key="due_on"),
        Column("participant", accessor="certification.participant", label="Participant"),
        Column("certification", label="Certification"),
        Column("stage", label="Stage"),
        "status",
        "attempts",
        Column("last_error", label="Last error"),
        EmailColumn("email", label="Email"),
    ]
    search_fields = ["certification__number", "certification__participant__email", "message_id"]
    form_fields = ["status"]  # Wagtail asks for a form; the policy above never lets it be used
    list_export = [
        "due_on",
        "certification.participant.email",
        "certification.number",
        "stage.name",
        "status",
        "attempts",
        "message_id",
        "sent_at",
        "last_error",
    ]
    export_filename = "reminders"


def reminder_email_view(request, reminder_id):
    """The reminder's email as the participant got it, or will get it (subject, headers, text and HTML)."""
    if not request.user.has_perm("reminders.view_reminder"):
        raise PermissionDenied
    reminder = get_object_or_404(
        Reminder.objects.select_related("stage", "certification__course", "certification__participant"), pk=reminder_id
    )
    message = email_as_sent(reminder)
    html = next((content for content, mimetype in message.alternatives if mimetype == "text/html"), "")
    return render(
        request,
        "reminders/admin/reminder_email.html",
        {
            "reminder": reminder,
            "message": message,
            "html": html,
            "uncertain_wait": settings.REMINDER_UNCERTAIN_WAIT_MINUTES,
        },
    )


@require_POST
def reminder_requeue_view(request, reminder_id):
    """A failed reminder goes back to the outbox with a fresh attempt count, and its send task is queued."""
    if not request.user.has_perm("reminders.change_reminder"):
        raise PermissionDenied
    from reminders.tasks import send_participant_reminders

    reminder = get_object_or_404(Reminder.objects.select_related("certification"), pk=reminder_id)
    if reminder.status != Reminder.FAILED:
        messages.error(request, "Only failed reminders can be re-queued.")
    else:
        Reminder.objects.filter(pk=reminder.pk).update(
            status=Reminder.PENDING, attempts=0, due_on=min(reminder.due_on, local_today()), updated_at=timezone.now()
        )
        send_participant_reminders.delay_on_commit(reminder.certification.participant_id)
        messages.success(request, f"Re-queued: {reminder}.")
    return redirect("reminders_outbox:index")


class ManagerDigestViewSet(RecordViewSet):
    """The managers' digests in the outbox: one row per manager and period, with its status and (inspect) its
    story; a period in which nobody needed action shows as skipped."""

    model = ManagerDigest
    icon = "group"
    menu_label = "Manager digests"
    inspect_view_enabled = True
    list_display = [
        Column("period_start", label="Period from", sort_key="period_start"),
        Column("manager", accessor="manager.email", label="Manager"),
        "status",
        Column("members_listed", label="Members listed"),
        "attempts",
        Column("skipped_reason", label="Why skipped"),
        Column("last_error", label="Last error"),
    ]
    list_filter = ["status", "period_start"]

    def get_queryset(self, request):
        return ManagerDigest.objects.select_related("manager")

    search_fields = ["manager__email", "message_id"]
    form_fields = ["status"]  # as for reminders: never used


class SuppressionViewSet(RecordViewSet):
    model = Suppression
    icon = "cross"
    menu_label = "Suppressed addresses"
    list_display = ["email", "reason", "detail", "created_at"]
    list_filter = ["reason"]
    search_fields = ["email"]
    form_fields = ["email", "reason", "detail"]


class ReminderStageViewSet(RecordViewSet):
    model = ReminderStage
    icon = "time"
    menu_label = "Reminder stages"
    list_display = ["name", "days_from_expiry", "subject", "active"]
    form_fields = ["name", "days_from_expiry", "subject", "opening", "active"]


class ReminderStatsPanel(Component):
    """Dashboard panel: reminders sent, delivered, bounced and failed over the last 30 days."""

    name = "reminder_stats"
    template_name = "reminders/admin/stats_panel.html"
    order = 120

    def get_context_data(self, parent_context):
        since = timezone.now() - datetime.timedelta(days=30)
        recent = Reminder.objects.filter(updated_at__gte=since)
        counts = recent.aggregate(
            sent=Count("pk", filter=Q(sent_at__gte=since)),
            delivered=Count("pk", filter=Q(status=Reminder.DELIVERED)),
            bounced=Count("pk", filter=Q(status__in=[Reminder.BOUNCED, Reminder.COMPLAINED])),
            failed=Count("pk", filter=Q(status=Reminder.FAILED)),
            uncertain=Count("pk", filter=Q(status=Reminder.UNCERTAIN)),
        )
        return {"counts": counts}
