"""Registers the reminder pipeline's admin screens and dashboard panel with Wagtail."""

from django.urls import path
from wagtail import hooks

from learning.common.admin import MenuGroup
from reminders.admin_views import (
    ManagerDigestViewSet,
    ReminderStageViewSet,
    ReminderStatsPanel,
    ReminderViewSet,
    SuppressionViewSet,
    reminder_email_view,
    reminder_requeue_view,
)
from reminders.receivers import on_copy_page


@hooks.register("register_admin_viewset")
def register_reminders_menu():
    # One "Reminders" menu: the outbox and the managers' digests, then the stages and the suppressed addresses that
    # decide what it holds.
    screens = ReminderViewSet("reminders_outbox", url_prefix="reminders"), ManagerDigestViewSet("manager_digests")
    return MenuGroup(
        "Reminders", "mail", 230, *screens, ReminderStageViewSet("reminder_stages"), SuppressionViewSet("suppressions")
    )


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


# Pages copied with "Publish copies" are published for the first time; a copied guideline update emails nobody.
hooks.register("before_copy_page", on_copy_page)
