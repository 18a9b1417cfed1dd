"""Participants in the Wagtail admin: created without a password and invited to set one."""

from django import forms
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.views.generic import CreateView
from wagtail.admin.viewsets.model import ModelViewSet

from learning.accounts.models import User
from learning.accounts.services import participant_create


class ParticipantForm(WagtailAdminModelForm):
    send_invitation = forms.BooleanField(
        required=False, initial=True, help_text="Email the participant a link to set their password."
    )

    class Meta:
        model = User
        fields = ["email", "first_name", "last_name", "registration_number", "employer", "wants_reminders"]


class ParticipantCreateView(CreateView):
    def save_instance(self):
        data = self.form.cleaned_data
        return participant_create(
            email=data["email"],
            first_name=data["first_name"],
            last_name=data["last_name"],
            registration_number=data["registration_number"],
            employer=data["employer"],
            invite=data.get("send_invitation", False),
        )


class ParticipantFilterSet(WagtailFilterSet):
    class Meta:
        model = User
        fields = ["wants_reminders", "is_active"]


class ParticipantViewSet(ModelViewSet):
    model = User
    icon = "group"
    menu_label = "Participants"
    menu_order = 200
    add_to_admin_menu = False  # listed in the "Register" menu group (wagtail_hooks.py)
    url_prefix = "participants"
    name = "participants"
    add_view_class = ParticipantCreateView
    filterset_class = ParticipantFilterSet
    list_display = ["email", "first_name", "last_name", "employer", "registration_number", "wants_reminders"]
    search_fields = ["email", "first_name", "last_name", "registration_number", "employer"]
    search_backend_name = None
    copy_view_enabled = False
    form_fields = ["email", "first_name", "last_name", "registration_number", "employer", "wants_reminders"]

    def get_form_class(self, for_update=False):
        if for_update:
            return super().get_form_class(for_update=True)
        return ParticipantForm
