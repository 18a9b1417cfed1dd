"""URLs of the reminders: unsubscribe and preferences."""

from django.urls import path

from reminders import views

urlpatterns = [
    path("reminders/unsubscribe/<str:token>/", views.unsubscribe, name="reminders_unsubscribe"),
    path("portal/preferences/", views.preferences, name="reminder_preferences"),
]
