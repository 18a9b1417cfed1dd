from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"
    verbose_name = "Reminders"

    def ready(self):
        from anymail.signals import tracking
        from django.core.signals import request_finished
        from wagtail.signals import page_published

        from reminders import rechecks
        from reminders.receivers import on_page_published, on_request_finished, on_tracking

        tracking.connect(on_tracking, dispatch_uid="reminders.tracking")
        # Guideline updates are announced by email, which this app owns; learning knows nothing of it.
        page_published.connect(on_page_published, dispatch_uid="reminders.guideline_notifications")
        request_finished.connect(on_request_finished, dispatch_uid="reminders.copying_pages")
        # The incremental scan's marks: changes in the register, bookings and preferences that can make a
        # certification due again; learning sends its signals without knowing who listens.
        rechecks.connect()
