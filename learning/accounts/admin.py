"""Participants in the Wagtail admin: created without a password and invited to set one."""

from django import forms
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.views.generic import CreateView

from learning.accounts.models import User
from learning.accounts.services import participant_create
from learning.common.admin import RecordViewSet

# Each is both a field of the form and the participant_create argument of the same name.
DETAILS = ["email", "first_name", "last_name", "registration_number", "employer", "wants_reminders"]


class ParticipantForm(WagtailAdminModelForm):
    """The invitation is offered when a participant is created; an edit changes only their details."""

    send_invitation = forms.BooleanField(
        required=False, initial=True, help_text="Email the participant a link to set their password."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            del self.fields["send_invitation"]


class ParticipantCreateView(CreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        details = {name: data[name] for name in DETAILS}
        return participant_create(**details, invite=data.get("send_invitation", False))


class ParticipantFilterSet(WagtailFilterSet):
    class Meta:
        model = User
        fields = ["wants_reminders", "is_active"]


class ParticipantViewSet(RecordViewSet):
    model = User
    icon = "group"
    menu_label = "Participants"
    url_prefix = "participants"
    name = "participants"
    add_view_class = ParticipantCreateView
    filterset_class = ParticipantFilterSet
    list_display = ["email", "first_name", "last_name", "employer", "registration_number", "wants_reminders"]
    search_fields = ["email", "first_name", "last_name", "registration_number", "employer"]
    edit_handler = ObjectList(
        [*(FieldPanel(name) for name in DETAILS), FieldPanel("send_invitation")], base_form_class=ParticipantForm
    )
