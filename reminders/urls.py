"""URLs of the reminders: unsubscribe (from reminders, guideline updates or managers' digests) and preferences;
the ESP webhooks (`webhook_urls`, under /anymail/)."""

from django.urls import path

from reminders import views, webhooks

# Mounted by the portal under /anymail/ with anymail's own namespace.
webhook_urls = (webhooks.urlpatterns, webhooks.app_name)

urlpatterns = [
    path("reminders/unsubscribe/<str:token>/", views.unsubscribe, name="reminders_unsubscribe"),
    path(
        "guideline-updates/unsubscribe/<str:token>/",
        views.unsubscribe,
        {"topic": "guideline_updates"},
        name="guideline_updates_unsubscribe",
    ),
    path(
        "manager-digests/unsubscribe/<str:token>/",
        views.unsubscribe,
        {"topic": "manager_digests"},
        name="manager_digests_unsubscribe",
    ),
    path("portal/preferences/", views.preferences, name="reminder_preferences"),
]
