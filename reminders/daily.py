"""The daily reminder run, one function for beat's daily task and `manage.py send_reminders` alike: the scan puts
what is due into the outbox, the drain settles dead and uncertain sends and picks the participants with due rows,
and they are handed to `dispatch` in batches (a Celery task per batch for beat, delivery in the same process by
hand), as is each manager with a digest waiting to `dispatch_digest`."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from reminders.delivery import Drain, batches, drain
from reminders.outbox import refresh_outbox_statistics
from reminders.scan import ScanResult, scan


@dataclass
class DailyRun:
    scanned: ScanResult
    drained: Drain


def daily_run(
    *,
    today: datetime.date,
    now: datetime.datetime,
    dispatch: Callable[[list[int]], object],
    dispatch_digest: Callable[[int], object] | None = None,
    drain_now: datetime.datetime | None = None,
    full_scan: bool = False,
) -> DailyRun:
    """`dispatch`: what is done with each batch of participants with due reminders (REMINDER_BATCH_SIZE of them).
    `dispatch_digest`: what is done with each manager whose digest the drain found waiting (without it, the
    next drain hands them on). `drain_now`: the moment the drain ages claims and uncertain sends by, when the run is
    for another day than the clock's (send_reminders --today); by default `now`. `full_scan`: look at every
    certification (the scan is otherwise incremental, see reminders.scan)."""
    scanned = scan(today=today, now=now, full=full_scan)
    if scanned.created:
        refresh_outbox_statistics()
    drained = drain(today=today, now=drain_now or now)
    for batch in batches(drained.dispatched):
        dispatch(batch)
    for manager_id in drained.digests_dispatched if dispatch_digest else ():
        dispatch_digest(manager_id)
    return DailyRun(scanned=scanned, drained=drained)
