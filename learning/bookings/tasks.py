"""Celery tasks of bookings: each takes ids and sends one email (learning.bookings.emails)."""

from celery import shared_task

from learning.bookings.emails import send_booking_email, send_result_email


@shared_task
def send_booking_email_task(booking_pk: int, template: str) -> bool:
    return send_booking_email(booking_pk, template)


@shared_task
def send_result_email_task(booking_pk: int) -> bool:
    return send_result_email(booking_pk)
