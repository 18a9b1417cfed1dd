from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "Reminders"

    def ready(self):
        from anymail.signals import tracking

        from reminders.tracking import on_tracking

        tracking.connect(on_tracking, dispatch_uid="reminders.tracking")
