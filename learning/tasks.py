"""Celery tasks of the learning app: each takes ids and calls one function. (The guideline-update emails are sent
by reminders.tasks, which owns email to participants.)"""
