"""Models of the reminder pipeline (the outbox and the suppression list arrive with the reminders issue)."""
