"""The filters of My team: which organisation, which required course, which state, and whether booked."""

from django import forms

from learning.organisations.compliance import STATES, TeamFilter
from learning.organisations.selectors import Team


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
