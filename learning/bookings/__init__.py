"""Course dates and bookings: booking and cancelling, results, issuing after a course, calendar files."""
