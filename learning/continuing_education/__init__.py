"""Continuing education: activities participants submit, their credits and their approval."""
