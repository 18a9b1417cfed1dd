"""Courses, participant materials, certifications, course dates and bookings, continuing education, and the
participant dashboard."""
