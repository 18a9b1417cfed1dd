"""The Django project: settings, URLs, the Celery app, WSGI and ASGI entry points. No business logic."""

from .celery import app as celery_app

__all__ = ["celery_app"]
