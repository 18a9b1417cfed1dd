"""Employers and their people: an organisation (a trust, its departments, a department's teams), the courses it
requires its members to hold, who belongs to it, who manages it, and the group bookings its managers make on its
purchase orders. What a manager may see is decided in one place, learning.organisations.access."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel


def once_per_organisation(field: str, name: str, message: str) -> list[models.UniqueConstraint]:
    """The constraint that an organisation holds a `field` (a course, a manager, a member) once."""
    return [models.UniqueConstraint(fields=["organisation", field], name=name, violation_error_message=message)]


DEPARTMENT_OF = "The trust or service this is a department of; empty for an employer in its own right."


class Organisation(ClusterableModel):
    """An employer: a hospital trust, an ambulance service, or a department of one (its parent). A department
    requires what its parent requires and more, and its parent's managers see its members. Edited in the admin
    under Organisations > Organisations."""

    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", models.PROTECT, null=True, blank=True, related_name="departments", help_text=DEPARTMENT_OF
    )
    invoice_address = models.TextField(blank=True, help_text="Where invoices for its bookings are sent.")
    purchase_order_contact = models.CharField(
        "purchase-order contact", max_length=200, blank=True, help_text="Who raises its purchase orders."
    )
    purchase_order_email = models.EmailField("purchase-order contact's email", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("parent"),
        MultiFieldPanel(
            [FieldPanel("invoice_address"), FieldPanel("purchase_order_contact"), FieldPanel("purchase_order_email")],
            heading="Invoices",
        ),
        InlinePanel("required_courses", heading="Required courses", label="Required course"),
        InlinePanel("manager_roles", heading="Managers", label="Manager"),
    ]

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            # Names are compared ignoring case: "City Hospital" and "city hospital" are one employer.
            models.UniqueConstraint(
                Lower("name"),
                condition=Q(parent__isnull=True),
                name="organisation_name_unique",
                violation_error_message="An organisation with this name exists already.",
            ),
            models.UniqueConstraint(
                Lower("name"),
                "parent",
                condition=Q(parent__isnull=False),
                name="organisation_department_name_unique",
                violation_error_message="This organisation has a department with this name already.",
            ),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="organisation_not_its_own_department"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        super().clean()
        self.name = " ".join(self.name.split())
        # The database refuses only the shortest loop; longer ones (a trust under its own department) here.
        ancestor, seen = self.parent, set()
        while ancestor is not None and ancestor.pk not in seen:
            if self.pk and ancestor.pk == self.pk:
                raise ValidationError(
                    {"parent": "An organisation cannot be a department of itself or of its own departments."}
                )
            seen.add(ancestor.pk)
            ancestor = ancestor.parent


class RequiredCourse(models.Model):
    """A course that every member of the organisation, and of its departments, must hold a current certification
    for (or one for a course that builds on it: ALS2 stands for ALS1)."""

    organisation = ParentalKey(Organisation, on_delete=models.CASCADE, related_name="required_courses")
    course = models.ForeignKey("learning.CoursePage", on_delete=models.CASCADE, related_name="required_by_employers")

    panels = [FieldPanel("course")]

    class Meta:
        constraints = once_per_organisation("course", "required_course_once", "This course is required already.")

    def __str__(self):
        return f"{self.organisation} requires {self.course.code}"


class ManagerRole(models.Model):
    """Given by an administrator: the user manages this organisation and its departments, and sees their
    members' certifications and bookings on My team."""

    organisation = ParentalKey(Organisation, on_delete=models.CASCADE, related_name="manager_roles")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="manager_roles")
    granted_at = models.DateTimeField(auto_now_add=True)

    panels = [FieldPanel("user")]

    class Meta:
        verbose_name = "manager"
        constraints = once_per_organisation(
            "user", "manager_role_once", "This person manages the organisation already."
        )

    def __str__(self):
        return f"{self.user} manages {self.organisation}"


class Membership(models.Model):
    """A participant belongs to an organisation: its managers, and those of the organisations above it, see the
    participant's certifications and bookings. The participant may leave it on My portal unless the employer
    verified the membership."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    participant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    employer_verified = models.BooleanField(
        default=False,
        help_text="The employer confirmed that this person works here: the participant cannot leave it on their own.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = once_per_organisation("participant", "membership_once", "This participant is a member already.")

    def __str__(self):
        return f"{self.participant} at {self.organisation}"


def tidy_purchase_order(text: str) -> str:
    """A purchase-order number as it is stored and compared: its words, each separated by one space."""
    return " ".join(text.split())


class GroupBooking(models.Model):
    """Members booked together by a manager onto one course date, on the organisation's purchase order: the
    places it made, and the invoice that goes with them. Made on My team; listed, invoiced and marked paid in the
    admin under Organisations > Group bookings."""

    organisation = models.ForeignKey(
        Organisation, models.PROTECT, related_name="group_bookings", help_text="Who pays: the invoice is theirs."
    )
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, models.PROTECT, related_name="group_bookings_made")
    course_date = models.ForeignKey("learning.CourseDate", models.PROTECT, related_name="group_bookings")
    purchase_order = models.CharField("purchase-order number", max_length=100)
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="group_bookings_marked_paid"
    )
    # The confirmed places the payment covered: places cancelled or confirmed since then are the difference the
    # invoice shows (to refund or credit, or still due).
    paid_places = models.PositiveIntegerField(null=True, blank=True, editable=False)
    # The course page's fee when it was paid: a paid invoice keeps the price it was paid at.
    paid_fee_text = models.CharField(max_length=255, blank=True, editable=False)
    bookings = models.ManyToManyField("learning.Booking", through="GroupBookingPlace", related_name="group_bookings")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=~Q(purchase_order=""), name="group_booking_has_a_purchase_order"),
            # Who marked it paid may leave (their account deleted); when it was paid stays.
            models.CheckConstraint(
                condition=Q(paid_by__isnull=True) | Q(paid_at__isnull=False), name="group_booking_paid_by_has_a_time"
            ),
            models.CheckConstraint(
                condition=Q(paid_at__isnull=True, paid_places__isnull=True)
                | Q(paid_at__isnull=False, paid_places__isnull=False),
                name="group_booking_paid_for_its_places",
            ),
        ]

    def __str__(self):
        return f"{self.invoice_number}: {self.organisation} on {self.course_date} (PO {self.purchase_order})"

    @property
    def invoice_number(self) -> str:
        return f"GB-{self.pk:06d}"

    @property
    def paid(self) -> bool:
        return self.paid_at is not None


class GroupBookingPlace(models.Model):
    """A booking made by a group booking; a booking belongs to one group booking at most."""

    group_booking = models.ForeignKey(GroupBooking, on_delete=models.CASCADE, related_name="places")
    booking = models.OneToOneField("learning.Booking", on_delete=models.CASCADE, related_name="group_place")

    def __str__(self):
        return f"{self.booking} ({self.group_booking.invoice_number})"
