"""The course catalogue: the catalogue page and the course pages, whose typed facts drive certification,
booking and reminders."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Count, F, Q
from django.utils import timezone
from modelcluster.fields import ParentalKey
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Orderable, Page
from wagtail.search import index

from learning.catalogue.blocks import RICH_TEXT_FEATURES, CourseBodyBlock
from learning.common.links import validate_link

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


def course_dates():
    """All course dates. Dates belong to bookings, a layer above the catalogue, so the catalogue reaches them
    through the course's relation to them rather than by importing them."""
    return CoursePage.dates.field.model.objects


class ListingPage(Page):
    """What the site's listing pages have in common (the course catalogue, the continuing-education listing, the
    participants' library): one of each, under the home page, an introduction above what it lists."""

    intro = RichTextField(blank=True, features=RICH_TEXT_FEATURES)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["home.HomePage"]
    max_count = 1

    class Meta:
        abstract = True


class CourseIndexPage(ListingPage):
    """The catalogue: lists the live course pages beneath it. In the admin it sits under the home page."""

    subpage_types = ["learning.CoursePage"]

    class Meta:
        verbose_name = "course catalogue"

    def courses(self):
        return CoursePage.objects.child_of(self).live().order_by("path").prefetch_related("prerequisites__prerequisite")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        courses = list(self.courses())
        dates = course_dates().filter(course__in=courses, booking_open=True).upcoming(timezone.localdate())
        by_course = {}
        for date in dates.with_seats().order_by("starts_on"):
            by_course.setdefault(date.course_id, []).append(date)
        for course in courses:
            course.upcoming_dates = by_course.get(course.pk, [])
        context["courses"] = courses
        return context


class CoursePage(Page):
    """A course (ALS1, ALS2 …) in the catalogue. The facts that logic uses are typed fields; the narrative
    sections are blocks of `body`. In the admin: Courses > the course."""

    code = models.CharField(max_length=20, unique=True, help_text="The short code printed on certificates, e.g. ALS2.")
    long_title = models.CharField(
        max_length=255, blank=True, help_text="The heading of the page, e.g. ALS2 (Advanced Advanced Life Support)."
    )
    summary = models.TextField(blank=True, help_text="One or two sentences for the catalogue and search engines.")
    intro = RichTextField(blank=True, features=RICH_TEXT_FEATURES)
    duration_days = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_hours = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    validity_months = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1)], help_text="How long a certification for this course stays valid."
    )
    max_participants_per_instructor = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)]
    )
    other_prerequisites = models.TextField(
        blank=True,
        help_text="The prerequisites as participants read them, one per line (the prerequisite courses below are "
        "also checked when someone books).",
    )
    written_exam_pass_mark = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=PERCENT, help_text="Minimum written-exam score in %; empty if no exam."
    )
    attendance_required = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=PERCENT, help_text="Attendance needed to pass, in %."
    )
    ce_credits_required = models.DecimalField(
        "CE credits expected per certification period",
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Continuing-education credits a holder should earn while certified; shown on their record. "
        "Empty if the course asks for none.",
    )
    requires_practical_assessment = models.BooleanField(
        "practical assessment required",
        default=False,
        help_text="Participants must pass a practical skills assessment, recorded on each date's roster.",
    )
    requires_scenario_assessment = models.BooleanField(
        "scenario assessment required",
        default=False,
        help_text="Participants must pass a scenario assessment, recorded on each date's roster.",
    )
    fee_text = models.CharField(max_length=255, blank=True, help_text="e.g. Contact for current pricing")
    # Not a URLField: an address on this site (/book-now/) is as welcome as a full one.
    booking_url = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_link],
        help_text="Where 'Book your course now' leads: https://…, mailto:… or an address on this site (/book-now/).",
    )
    contact_url = models.CharField(
        max_length=500,
        blank=True,
        validators=[validate_link],
        help_text="Where 'Contact us' leads: https://…, mailto:… or an address on this site (/contact/).",
    )
    call_to_action = RichTextField(blank=True, features=["bold", "italic", "link"])
    body = StreamField(CourseBodyBlock(), blank=True)

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("code"), FieldPanel("validity_months")]),
                FieldPanel("long_title"),
                FieldPanel("summary"),
            ],
            heading="Course",
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("duration_days"), FieldPanel("duration_hours")]),
                FieldPanel("max_participants_per_instructor"),
                FieldRowPanel([FieldPanel("written_exam_pass_mark"), FieldPanel("attendance_required")]),
                FieldPanel("ce_credits_required"),
                FieldRowPanel(
                    [FieldPanel("requires_practical_assessment"), FieldPanel("requires_scenario_assessment")]
                ),
            ],
            heading="Key facts",
        ),
        MultiFieldPanel(
            [InlinePanel("prerequisites", label="Prerequisite course"), FieldPanel("other_prerequisites")],
            heading="Prerequisites",
        ),
        FieldPanel("intro"),
        FieldPanel("body"),
        MultiFieldPanel(
            [
                FieldPanel("fee_text"),
                FieldPanel("booking_url"),
                FieldPanel("contact_url"),
                FieldPanel("call_to_action"),
            ],
            heading="Booking",
        ),
    ]
    search_fields = [
        *Page.search_fields,
        index.SearchField("code", boost=3),
        index.SearchField("long_title"),
        index.SearchField("summary"),
        index.SearchField("body"),
    ]
    parent_page_types = ["learning.CourseIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = "course"
        constraints = [
            models.CheckConstraint(
                condition=Q(written_exam_pass_mark__isnull=True) | Q(written_exam_pass_mark__lte=100),
                name="course_pass_mark_is_a_percentage",
            ),
            models.CheckConstraint(
                condition=Q(attendance_required__isnull=True) | Q(attendance_required__lte=100),
                name="course_attendance_is_a_percentage",
            ),
            models.CheckConstraint(condition=Q(validity_months__gte=1), name="course_validity_at_least_a_month"),
        ]

    def __str__(self):
        return f"{self.code} {self.title}" if self.code and not self.title.startswith(self.code) else self.title

    @property
    def heading(self) -> str:
        return self.long_title or self.title

    @property
    def validity_text(self) -> str:
        months = self.validity_months
        if months % 12 == 0:
            years = months // 12
            return f"{years} year{'s' if years != 1 else ''}"
        return f"{months} month{'s' if months != 1 else ''}"

    @property
    def duration_text(self) -> str:
        parts = []
        if self.duration_days:
            parts.append(f"{self.duration_days} day{'s' if self.duration_days != 1 else ''}")
        if self.duration_hours is not None:
            hours = self.duration_hours.normalize()
            hours_text = f"{hours:f}"
            parts.append(f"({hours_text} hours)" if parts else f"{hours_text} hours")
        return " ".join(parts)

    def clean(self):
        super().clean()
        self.clean_seats()

    def clean_seats(self):
        """Fewer participants per instructor may not leave a date that has not begun with fewer seats than the
        people who hold one (read through the dates' relations: the catalogue imports nothing of bookings)."""
        per_instructor = self.max_participants_per_instructor
        if self.pk is None or not per_instructor:
            return
        overbooked = (
            self.dates.upcoming(timezone.localdate())
            .annotate(held=Count("bookings", filter=Q(bookings__status="confirmed")))
            .filter(held__gt=F("instructors") * per_instructor)
            .order_by("starts_on")
        )
        if first := overbooked.first():
            raise ValidationError(
                {
                    "max_participants_per_instructor": f"With {per_instructor} per instructor, {first} would have "
                    f"{first.instructors * per_instructor} seats for the {first.held} people who hold one: add "
                    "instructors to that date first (Course dates), or keep the number higher."
                }
            )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["prerequisites"] = list(self.prerequisites.select_related("prerequisite"))
        context["dates"] = self.upcoming_dates()
        return context

    def upcoming_dates(self):
        return list(
            self.dates.filter(booking_open=True).upcoming(timezone.localdate()).with_seats().select_related("course")
        )

    def prerequisite_courses(self) -> list["CoursePage"]:
        return [link.prerequisite for link in self.prerequisites.all() if link.prerequisite_id]


class CoursePrerequisite(Orderable):
    """A course whose certification must be current to take this course (ALS2 needs a current ALS1).
    `code` is the course the page names; `prerequisite` links the course page once it exists."""

    course = ParentalKey(CoursePage, on_delete=models.CASCADE, related_name="prerequisites")
    prerequisite = models.ForeignKey(
        CoursePage, null=True, blank=True, on_delete=models.SET_NULL, related_name="required_by"
    )
    code = models.CharField(
        max_length=20, blank=True, help_text="The course code as the page names it; linked when that course exists."
    )

    panels = [FieldPanel("prerequisite"), FieldPanel("code")]

    class Meta(Orderable.Meta):
        verbose_name = "prerequisite course"
        constraints = [
            models.CheckConstraint(
                condition=Q(prerequisite__isnull=False) | ~Q(code=""), name="prerequisite_names_a_course"
            )
        ]

    def __str__(self):
        return self.prerequisite.code if self.prerequisite_id else self.code


class ContinuingEducationIndexPage(ListingPage):
    """Lists the continuing-education activities the provider offers; reminder emails point here."""

    subpage_types = ["learning.ContinuingEducationOfferPage"]

    class Meta:
        verbose_name = "continuing education listing"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["offers"] = self.upcoming_offers()
        return context

    def upcoming_offers(self, today=None):
        today = today or timezone.localdate()
        return ContinuingEducationOfferPage.objects.child_of(self).live().filter(held_on__gte=today).order_by("held_on")


class ContinuingEducationOfferPage(Page):
    """A continuing-education activity the provider offers (a workshop, a simulation evening), with credits."""

    held_on = models.DateField()
    starts_at = models.TimeField("starts at", null=True, blank=True)
    ends_at = models.TimeField("ends at", null=True, blank=True)
    venue = models.CharField(
        "where", max_length=255, blank=True, help_text="A room and building, or 'Online' (the link is sent on sign-up)."
    )
    how_to_take_part = models.TextField(
        "how to take part",
        blank=True,
        help_text="How participants sign up, e.g. 'Email the training office with your name and PIN'. Empty: the "
        "page asks them to contact the training office.",
    )
    credits = models.DecimalField(max_digits=5, decimal_places=1, validators=[MinValueValidator(0)])
    provider = models.CharField(max_length=255, default="", blank=True)
    summary = models.TextField(blank=True)
    body = RichTextField(blank=True, features=RICH_TEXT_FEATURES)

    content_panels = [
        *Page.content_panels,
        FieldRowPanel([FieldPanel("held_on"), FieldPanel("starts_at"), FieldPanel("ends_at")]),
        FieldPanel("venue"),
        FieldPanel("how_to_take_part"),
        FieldPanel("credits"),
        FieldPanel("provider"),
        FieldPanel("summary"),
        FieldPanel("body"),
    ]
    parent_page_types = ["learning.ContinuingEducationIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = "continuing education offer"
