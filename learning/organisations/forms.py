"""The forms of My team: its filters (which organisation, which required course, which state, and whether
booked), and booking a group of its members onto a course date on a purchase order."""

from django import forms

from learning.organisations.compliance import STATES, TeamFilter
from learning.organisations.selectors import Chosen, Team
from learning.organisations.services import Seating


class TeamFilterForm(forms.Form):
    """Offers only the manager's own organisations and their required courses; a value from elsewhere (an
    edited address) is an error on its field, and the list is shown unfiltered by it."""

    organisation = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    course = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    state = forms.ChoiceField(choices=STATES, required=False, label="Show")
    not_booked = forms.BooleanField(required=False, label="Not booked")

    def __init__(self, data, *, team: Team, tree):
        super().__init__(data)
        self.tree = tree
        self.fields["organisation"].choices = [("", "All my organisations"), *team.organisation_paths.items()]
        self.fields["course"].choices = [("", "All required courses"), *((c.pk, c.code) for c in team.courses)]

    def team_filter(self) -> TeamFilter:
        """The filter of the valid values; an invalid one filters nothing."""
        self.is_valid()
        data = self.cleaned_data
        organisation = data.get("organisation")
        return TeamFilter(
            organisation_ids=frozenset(self.tree.with_departments([organisation])) if organisation else None,
            course_id=data.get("course"),
            state=data.get("state") or "",
            not_booked=bool(data.get("not_booked")),
        )


def date_label(course_date) -> str:
    """A date as the group-booking form offers it: course, first day, venue and seats left."""
    seats = f"{course_date.seats_left} of {course_date.seats} seats left" if course_date.seats_left > 0 else "full"
    return f"{course_date.course.code}, {course_date.starts_on:%-d %B %Y}, {course_date.venue} ({seats})"


class GroupBookingForm(forms.Form):
    """Books the chosen members onto a date on a purchase order. It offers only the manager's own members (those of
    the chosen ids the gate let through), organisations and the dates open for booking; an id from elsewhere is an
    error on its field, and nothing is booked."""

    participants = forms.TypedMultipleChoiceField(
        coerce=int,
        label="Members to book",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one member to book.",
            "invalid_choice": "Someone chosen is not a member of your team: nothing was booked.",
        },
    )
    organisation = forms.TypedChoiceField(
        coerce=int, label="On the purchase order of", help_text="The invoice is addressed to this organisation."
    )
    course_date = forms.ModelChoiceField(queryset=None, label="Course date", empty_label="Choose a date")
    purchase_order = forms.CharField(
        label="Purchase-order number",
        max_length=100,
        help_text="Printed on the invoice.",
        error_messages={"required": "A purchase-order number is required: it is printed on the invoice."},
    )
    seating = forms.ChoiceField(
        choices=Seating.choices,
        initial=Seating.ALL_OR_NOTHING,
        widget=forms.RadioSelect,
        label="If the date has fewer seats left than people",
    )

    def __init__(self, data=None, *, chosen: list[Chosen], organisation_paths: dict[int, str], dates, initial=None):
        super().__init__(data, initial=initial)
        self.fields["participants"].choices = [
            (c.pk, f"{c.participant.get_full_name() or c.participant.email} ({'; '.join(c.organisations)})")
            for c in chosen
        ]
        self.fields["organisation"].choices = list(organisation_paths.items())
        self.fields["course_date"].queryset = dates
        self.fields["course_date"].label_from_instance = date_label
