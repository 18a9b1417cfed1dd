"""Registers the reminder pipeline's admin screens and dashboard panel with Wagtail."""

from django.urls import path
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup

from reminders.admin_views import (
    ReminderStageViewSet,
    ReminderStatsPanel,
    ReminderViewSet,
    SuppressionViewSet,
    reminder_email_view,
    reminder_requeue_view,
)


class RemindersMenu(ViewSetGroup):
    """One "Reminders" menu: the outbox, the stages and the suppressed addresses, in the order of `items`."""

    menu_label = "Reminders"
    menu_icon = "mail"
    menu_order = 230
    items = (
        ReminderViewSet("reminders_outbox", url_prefix="reminders"),
        ReminderStageViewSet("reminder_stages"),
        SuppressionViewSet("suppressions"),
    )


@hooks.register("register_admin_viewset")
def register_reminders_menu():
    return RemindersMenu()


@hooks.register("register_admin_urls")
def register_urls():
    return [
        path("reminders/<int:reminder_id>/email/", reminder_email_view, name="reminder_email"),
        path("reminders/<int:reminder_id>/requeue/", reminder_requeue_view, name="reminder_requeue"),
    ]


@hooks.register("construct_homepage_panels")
def add_reminder_stats(request, panels):
    if request.user.has_perm("reminders.view_reminder"):
        panels.append(ReminderStatsPanel())
