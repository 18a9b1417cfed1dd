"""Certification expiry reminders: the scan, the outbox, composing and delivering the emails, unsubscribe and
the ESP's tracking webhooks."""
