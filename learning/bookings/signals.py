"""What bookings tell the packages above them, which they do not import: a place changed. Organisations listens,
to tell the manager whose organisation pays for the place."""

from django.dispatch import Signal

# Sent inside the transaction that makes the change (receivers queue their work on commit), with `booking_pk`,
# `change` (a key of PLACE_CHANGES) and `by`: the user who made it, or None when it followed from another change
# (a seat came free and the next person on the waiting list moved in).
place_changed = Signal()

# Each change, as an email to the payer words it (after "the place of <participant>:").
PLACE_CHANGES = {
    "cancelled": "seat cancelled",
    "left_waiting_list": "taken off the waiting list",
    "promoted": "moved from the waiting list into a seat",
}


def announce(booking_pk: int, change: str, *, by=None) -> None:
    """Sends place_changed for one booking."""
    if change not in PLACE_CHANGES:
        raise ValueError(f"Unknown change of a place: {change!r}")
    place_changed.send(sender="learning.bookings", booking_pk=booking_pk, change=change, by=by)
