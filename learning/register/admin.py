"""The register in the Wagtail admin: certifications (filters, search, CSV export, validated forms), the CSV import
of certifications (its screen: columns, template, permission; shown by learning.register.import_admin like every
import's), and the expiry chart on the dashboard."""

import datetime

import django_filters
from django import forms
from django.db.models import Count
from django.db.models.functions import TruncMonth
from django.utils import timezone
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView, EditView, IndexView

from learning.accounts.models import User
from learning.common.admin import ColumnByColumnSearchMixin, RecordViewSet
from learning.common.spreadsheets import FormulaSafeExportMixin
from learning.register.certification_import import CertificationImport
from learning.register.import_admin import ImportScreen
from learning.register.models import (
    EARLIEST_DATE,
    LATEST_DATE,
    NUMBER_FORMAT_TEXT,
    STATUS_CHOICES,
    Certification,
    ImportKind,
    is_certification_number,
)
from learning.register.services import add_months, certification_issue, certification_revoke, default_expiry
from learning.register.tasks import import_certifications_task


class CertificationFilterSet(WagtailFilterSet):
    status = django_filters.ChoiceFilter(choices=STATUS_CHOICES, label="Status", method="filter_status")
    expiring_within = django_filters.ChoiceFilter(
        choices=[("30", "30 days"), ("60", "60 days"), ("90", "90 days")],
        label="Expiring within",
        method="filter_expiring_within",
    )
    expired_in_last_days = django_filters.NumberFilter(
        label="Expired in the last N days", min_value=1, method="filter_expired_in_last_days"
    )

    class Meta:
        model = Certification
        fields = ["course"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(status=value)

    def filter_expiring_within(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.expiring_between(today, today + datetime.timedelta(days=int(value)))

    def filter_expired_in_last_days(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.expiring_between(
            today - datetime.timedelta(days=int(value)), today - datetime.timedelta(days=1)
        )


class StatusColumn(Column):
    cell_template_name = "learning/admin/status_cell.html"


class CertificationIndexView(ColumnByColumnSearchMixin, FormulaSafeExportMixin, IndexView):
    default_ordering = "expires_on"
    list_export = [
        "number",
        "participant.first_name",
        "participant.last_name",
        "participant.email",
        "course.code",
        "issued_on",
        "expires_on",
        "status",
    ]
    export_headings = {
        "participant.first_name": "First name",
        "participant.last_name": "Last name",
        "participant.email": "Email",
        "course.code": "Course",
        "status": "Status",
    }
    export_filename = "certifications"

    def get_base_queryset(self):
        return (
            Certification.objects.with_status(timezone.localdate())
            .select_related("participant", "course")
            .only(
                "number",
                "issued_on",
                "expires_on",
                "revoked_at",
                "renewed_by_id",
                "participant__first_name",
                "participant__last_name",
                "participant__email",
                "course__code",
                "course__title",
            )
        )


CORRECTED_BY_REISSUING = (
    "Issued to this holder for this course: to correct either, revoke it (saying why) and issue a new one."
)


class CertificationForm(WagtailAdminModelForm):
    """Number and expiry may be left empty when issuing: the register's services then give the next free number
    (retrying on a clash) and the course's validity. A certification is revoked here, with a reason, through the
    same service as everywhere else; a renewal is issued, never typed in."""

    revoke = forms.BooleanField(required=False, help_text="Revoke this certification. It cannot be undone here.")
    revocation_reason = forms.CharField(
        required=False, max_length=255, help_text="Why it is revoked: kept on the record and shown on verification."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        issuing = self.instance.pk is None
        self.fields["number"].required = not issuing
        self.fields["number"].help_text = (
            f"Leave empty to generate the next number. A number is {NUMBER_FORMAT_TEXT}; upper and lower case are "
            "the same number."
            if issuing
            else f"A number is {NUMBER_FORMAT_TEXT}; upper and lower case are the same number."
        )
        self.fields["expires_on"].required = False
        self.fields["participant"].queryset = User.objects.order_by("last_name", "first_name")
        if issuing:
            del self.fields["revoke"], self.fields["revocation_reason"]
            return
        # A certification stays with the person and course it was issued for: moving it would hand someone
        # another's record (and its verification), with no trace. A mistake is revoked and issued anew.
        for name in ("participant", "course"):
            self.fields[name].disabled = True
            self.fields[name].help_text = CORRECTED_BY_REISSUING
        if self.instance.revoked_at:
            self.fields["revoke"].initial = True
            self.fields["revocation_reason"].initial = self.instance.revoked_reason
            self.fields["revoke"].disabled = self.fields["revocation_reason"].disabled = True

    def clean_number(self):
        number = self.cleaned_data["number"].strip()
        if not number:
            return number
        if not is_certification_number(number):
            raise forms.ValidationError(f"A certification number is {NUMBER_FORMAT_TEXT}.", code="number_format")
        # The database refuses it too; here the message lands on the field and names the holder of the number.
        taken = Certification.objects.filter(number__iexact=number).exclude(pk=self.instance.pk).first()
        if taken:
            raise forms.ValidationError(
                f"{taken.number} is already the number of another certification (upper and lower case are the "
                "same number).",
                code="number_taken",
            )
        return number

    def clean(self):
        cleaned = super().clean()
        course, issued_on = cleaned.get("course"), cleaned.get("issued_on")
        # The model's validators check the dates after this: an issue date outside them has no expiry to work out.
        dated = issued_on and EARLIEST_DATE <= issued_on <= LATEST_DATE
        if course and dated and not cleaned.get("expires_on") and "expires_on" not in self.errors:
            expires_on = default_expiry(course, issued_on)
            if expires_on > LATEST_DATE:
                self.add_error(
                    "expires_on",
                    f"{course.code} is valid {course.validity_months} months from {issued_on:%d/%m/%Y}, which ends "
                    f"after {LATEST_DATE:%d/%m/%Y}: check the issue date.",
                )
            else:
                cleaned["expires_on"] = expires_on
        if self.revokes() and not cleaned.get("revocation_reason", "").strip():
            self.add_error("revocation_reason", "A revocation needs a reason.")
        return cleaned

    def revokes(self) -> bool:
        """Whether this submission revokes a certification that was not revoked before."""
        return bool(self.cleaned_data.get("revoke")) and self.instance.pk and not self.instance.revoked_at


class CertificationCreateView(CreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return certification_issue(
            renewing_earlier=True,
            participant=data["participant"],
            course=data["course"],
            issued_on=data["issued_on"],
            expires_on=data["expires_on"],
            number=data["number"] or None,
        )


class CertificationEditView(EditView):
    def save_instance(self):
        revokes = self.form.revokes()
        certification = super().save_instance()
        if revokes:
            certification_revoke(
                certification=certification, reason=self.form.cleaned_data["revocation_reason"], now=timezone.now()
            )
        return certification


class CertificationViewSet(RecordViewSet):
    model = Certification
    icon = "success"
    menu_label = "Certifications"
    index_view_class = CertificationIndexView
    add_view_class = CertificationCreateView
    edit_view_class = CertificationEditView
    filterset_class = CertificationFilterSet
    list_display = [
        "number",
        Column("participant", label="Participant"),
        Column("participant_email", accessor="participant.email", label="Email"),
        Column("course_code", accessor="course.code", label="Course"),
        Column("issued_on", label="Issued", sort_key="issued_on"),
        Column("expires_on", label="Expires", sort_key="expires_on"),
        StatusColumn("status", label="Status"),
    ]
    search_fields = ["number", "participant__first_name", "participant__last_name", "participant__email"]
    inspect_view_enabled = True
    edit_handler = ObjectList(
        [
            FieldPanel("participant"),
            FieldPanel("course"),
            FieldPanel("number"),
            FieldPanel("issued_on"),
            FieldPanel("expires_on"),
            FieldPanel("revoke"),
            FieldPanel("revocation_reason"),
        ],
        base_form_class=CertificationForm,
    )


CERTIFICATION_IMPORT_SCREEN = ImportScreen(
    ImportKind.CERTIFICATIONS, "learning.add_certification", CertificationImport, import_certifications_task
)


class ExpiryChartPanel(Component):
    """Dashboard panel: certifications in force expiring in each of the next 12 months."""

    name = "certification_expiry_chart"
    template_name = "learning/admin/expiry_chart_panel.html"
    order = 110

    def get_context_data(self, parent_context):
        return expiry_chart(today=timezone.localdate())


def expiry_chart(*, today: datetime.date) -> dict:
    """A bar for this month and each of the next eleven, counting certifications in force that expire from
    `today` on: this month's bar leaves out those already expired, which need no action before they lapse."""
    first = today.replace(day=1)
    months = [add_months(first, offset) for offset in range(12)]
    counts = dict(
        Certification.objects.expiring_between(today, add_months(first, 12) - datetime.timedelta(days=1))
        .annotate(month=TruncMonth("expires_on"))
        .values("month")
        .annotate(total=Count("pk"))
        .values_list("month", "total")
    )
    counts = {(key.date() if isinstance(key, datetime.datetime) else key): total for key, total in counts.items()}
    peak = max(counts.values(), default=0) or 1
    bars = [
        {"month": month, "count": counts.get(month, 0), "percent": round(100 * counts.get(month, 0) / peak)}
        for month in months
    ]
    return {"bars": bars, "total": sum(bar["count"] for bar in bars)}
