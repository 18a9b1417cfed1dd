"""The reminder pipeline's data: the stages administrators edit, the outbox (one row per certification and
stage, and one per manager and period for the managers' digests), the ESP's tracking events, the addresses that
must get no more reminders, and the daily scan's bookkeeping (how far it has got, and whose certifications it must
look at again)."""

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Lower


class ReminderStage(models.Model):
    """When a reminder goes out, relative to the expiry day, and what it says first."""

    name = models.CharField(max_length=80)
    days_from_expiry = models.SmallIntegerField(
        unique=True, help_text="Negative: before the expiry day (-90 = 90 days before); 0: on the day; positive: after."
    )
    subject = models.CharField(
        max_length=200,
        help_text="For an email about one certification. {course}, {date}, {days} and {days_text} (e.g. 21 days) "
        "are filled in.",
    )
    opening = models.TextField(help_text="The opening paragraph, with the same placeholders as the subject.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["days_from_expiry"]

    def __str__(self):
        return self.name

    @property
    def lapsed(self) -> bool:
        """After the expiry day: the participant must book the full course, not a renewal."""
        return self.days_from_expiry > 0


class OutboxRow(models.Model):
    """A row of the outbox: one email to send, its status and its story. Its status, not a task, decides whether an
    email goes; reminders.outbox delivers every kind of row the same way (claim, send once, retry, settle).

    "Uncertain" is a send that may have reached the ESP (the ESP did not answer in time, or the worker died while
    sending): it is never silently sent again. A tracking event that names the row settles it; with no evidence
    after REMINDER_UNCERTAIN_WAIT it gets one more attempt (`retried_uncertain`).

    Each kind says who its recipient is (`recipient_field`, the path of the recipient's user id), the anymail
    metadata key naming its rows in a message (`metadata_key`, also the TrackingEvent column `<key>_ids` keeps),
    and the first word of its Message-IDs."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        UNCERTAIN = "uncertain", "Uncertain"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        BOUNCED = "bounced", "Bounced"
        COMPLAINED = "complained", "Complained"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped"

    PENDING, SENDING, UNCERTAIN, SENT, DELIVERED = (
        Status.PENDING,
        Status.SENDING,
        Status.UNCERTAIN,
        Status.SENT,
        Status.DELIVERED,
    )
    BOUNCED, COMPLAINED, FAILED, SKIPPED = Status.BOUNCED, Status.COMPLAINED, Status.FAILED, Status.SKIPPED
    # Rows whose email may be with the recipient, or on its way.
    EMAILED = (SENDING, UNCERTAIN, SENT, DELIVERED, BOUNCED, COMPLAINED)

    recipient_field = ""
    metadata_key = ""
    message_id_word = ""

    due_on = models.DateField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    last_error = models.TextField(blank=True)
    skipped_reason = models.CharField(max_length=120, blank=True)
    # When a send task was last queued for it: the drain queues again only rows whose task may have been lost.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # After a transient error: not before this moment (the backoff), whoever dispatches the row.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    uncertain_since = models.DateTimeField(null=True, blank=True)
    retried_uncertain = models.BooleanField(default=False)
    # What happened to it, a line per event, for the administrator (the outbox shows it).
    story = models.TextField(blank=True)

    class Meta:
        abstract = True


class Reminder(OutboxRow):
    """One row per (certification, stage): a participant's reminder. A participant with one of these claimed
    today (status in EMAILED) gets no second reminder email that day."""

    recipient_field = "certification__participant_id"
    metadata_key = "reminders"
    message_id_word = "reminder"

    # Fewer indexes than other rows of the outbox, since the daily scan inserts thousands and every email updates
    # its rows twice (claimed, then sent), each time adding the new row version to every index whose condition it
    # meets: none of its own for the certification (the unique (certification, stage) index serves lookups by it),
    # none for the stage (five stages: a fifth of the outbox is read faster by a scan, and only the admin's filter
    # and a stage's deletion ask), and partial ones elsewhere (see Meta.indexes).
    certification = models.ForeignKey(
        "learning.Certification", on_delete=models.CASCADE, related_name="reminders", db_index=False
    )
    stage = models.ForeignKey(ReminderStage, on_delete=models.PROTECT, related_name="reminders", db_index=False)
    message_id = models.CharField(max_length=255, blank=True)
    # The batch claim that last took it (reminders.delivery.claim): a batch sends its participants in id order, so
    # when its worker dies the drain can tell the one email that was in flight from those never attempted.
    claim = models.UUIDField(null=True, blank=True, editable=False)
    # When the PostgreSQL server that took that claim had started: a different start time later means it restarted
    # since, and the records written without waiting for the disk may have been lost.
    claim_server_started = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-due_on", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["certification", "stage"], name="reminder_once_per_stage"),
        ]
        indexes = [
            # The rows a claim looks for, by due date: a row leaves it when claimed, and the sent, delivered and
            # skipped rows of the outbox's history are never in it.
            models.Index(fields=["due_on"], condition=Q(status=OutboxRow.PENDING), name="reminder_pending_due"),
            # The rows in flight, by the time they were claimed: those a dead worker left, and those to look up.
            models.Index(
                fields=["status", "claimed_at"],
                condition=Q(status__in=[OutboxRow.SENDING, OutboxRow.UNCERTAIN]),
                name="reminder_in_flight",
            ),
            # The rows claimed on a day, whatever became of them: who was emailed today (delivery.emailed_on), asked
            # of the whole outbox for every participant due. The scan's rows, never claimed, are not in it.
            models.Index(fields=["claimed_at"], condition=Q(claimed_at__isnull=False), name="reminder_claimed"),
            # The ESP's message id, for its tracking events: a row has one once sent, so the scan's rows are not in it.
            models.Index(fields=["message_id"], condition=~Q(message_id=""), name="reminder_message_id"),
        ]

    def __str__(self):
        return f"{self.stage} for {self.certification}"


class ManagerDigest(OutboxRow):
    """One row per (manager, period): the email that lists a manager's members who need action (reminders.digests).
    A period with nobody to list ends "skipped", so a manager gets at most one digest a period whatever happens
    twice. Its times are written by the runs that create and send it (their `now`), never by the clock."""

    recipient_field = "manager_id"
    metadata_key = "digests"
    message_id_word = "digest"

    manager = models.ForeignKey("learning.User", on_delete=models.CASCADE, related_name="manager_digests")
    period_start = models.DateField(help_text="The first day of the period the digest is for.")
    members_listed = models.PositiveIntegerField(default=0, help_text="How many members the email listed.")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["-period_start", "pk"]
        verbose_name = "manager digest"
        constraints = [
            models.UniqueConstraint(fields=["manager", "period_start"], name="manager_digest_once_per_period"),
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="digest_status_due"),
            models.Index(fields=["status", "claimed_at"], name="digest_status_claimed"),
        ]

    def __str__(self):
        return f"Digest of {self.period_start:%-d %b %Y} for {self.manager}"


# Every kind of row in the outbox: what the drain, the tracking events and the ESP search go through.
OUTBOX_MODELS = (Reminder, ManagerDigest)


class TrackingEvent(models.Model):
    """An ESP tracking event, recorded once: a redelivered webhook with the same id changes nothing. An event that
    matches no reminder yet (its message id is not recorded yet) waits, unapplied, and is applied when it is."""

    event_id = models.CharField(max_length=255, unique=True)
    event_type = models.CharField(max_length=40)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    recipient = models.EmailField(blank=True)
    description = models.CharField(max_length=255, blank=True)
    # The outbox rows the message carried in its metadata (comma-separated ids), when the ESP reports them: a
    # column per kind of row, named after its metadata key.
    reminder_ids = models.CharField(max_length=255, blank=True)
    digest_ids = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)
    applied_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.event_type} {self.message_id}"


class SuppressionQuerySet(models.QuerySet):
    def of_address(self, email):
        """The suppressions of an address (a value or an expression such as OuterRef("email")), in any case:
        the one rule for "this address is suppressed", used as `Exists(Suppression.objects.of_address(...))`."""
        if isinstance(email, str):
            email = Value(email)
        return self.annotate(address=Lower("email")).filter(address=Lower(email))


class Suppression(models.Model):
    """An address that gets no more reminders: the participant unsubscribed, or the ESP reported a hard bounce
    or a complaint (which stops managers' digests to it too; unsubscribing from reminders does not). An
    administrator may remove it (e.g. after the participant fixed their mailbox)."""

    class Reason(models.TextChoices):
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        BOUNCED = "bounced", "Hard bounce"
        COMPLAINED = "complained", "Spam complaint"

    UNSUBSCRIBED, BOUNCED, COMPLAINED = Reason.UNSUBSCRIBED, Reason.BOUNCED, Reason.COMPLAINED

    email = models.EmailField()
    reason = models.CharField(max_length=20, choices=Reason.choices)
    detail = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SuppressionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="suppression_once_per_address"),
            models.CheckConstraint(condition=~Q(email=""), name="suppression_has_an_address"),
        ]

    def __str__(self):
        return f"{self.email} ({self.get_reason_display()})"


class ScanProgress(models.Model):
    """How far the daily scan has got: one row. The next scan considers only the stage dates reached after
    `last_day` (and the participants marked for a recheck); with no row, or when the stage rules it was made under
    have changed since, it scans everything."""

    ROW = 1

    last_day = models.DateField(null=True, blank=True, help_text="The latest day a scan finished for.")
    # The active stages (id and days) and the catch-up setting the last scan used: a change to any of them moves
    # windows the incremental scan has already passed, so the next scan is a full one.
    rules = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    full = models.BooleanField(default=False, help_text="Whether the last scan was a full one.")

    class Meta:
        verbose_name_plural = "scan progress"
        constraints = [models.CheckConstraint(condition=Q(pk=1), name="scan_progress_is_one_row")]

    def __str__(self):
        return f"scanned to {self.last_day}" if self.last_day else "never scanned"


class Recheck(models.Model):
    """A participant whose certifications the next scan looks at again whatever their dates, because something
    that decides whether they get a reminder changed (a certification, a booking, an opt-in, a suppression; see
    reminders.rechecks). A scan claims the marks it reads and deletes them when it commits."""

    participant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    claimed = models.BooleanField(default=False)

    def __str__(self):
        return f"recheck participant {self.participant_id}"
