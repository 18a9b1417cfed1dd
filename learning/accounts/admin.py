"""Participants in the Wagtail admin: created without a password and invited to set one.

The viewset's model is the User, whom Wagtail would call a "user" on every page: its views call them
participants instead (titles, breadcrumbs, buttons, messages), and its columns, filters and fields speak of the
participant in the third person. The model's own labels stay in the first person: they are what participants
read on their own preferences form."""

from django import forms
from django.urls import reverse
from django.utils.text import capfirst
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.components import MediaContainer
from wagtail.admin.ui.side_panels import StatusSidePanel
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView, DeleteView, EditView, HistoryView, IndexView, UsageView

from learning.accounts.models import User
from learning.accounts.services import participant_create
from learning.common.admin import ColumnByColumnSearchMixin, RecordViewSet, YesNoColumn

# Each is both a field of the form and the participant_create argument of the same name.
DETAILS = [
    "email",
    "first_name",
    "last_name",
    "registration_number",
    "employer",
    "wants_reminders",
    "wants_guideline_updates",
]
# The administrator's words for the fields whose model labels speak as the participant ("send me ...").
ADMIN_LABELS = {
    "email": "Email address",
    "registration_number": "Professional registration number",
    "wants_reminders": "Wants reminders",
    "wants_guideline_updates": "Wants guideline updates",
}
ADMIN_HELP_TEXTS = {
    "registration_number": "The participant's registration with their professional body, e.g. a nursing or "
    "medical council PIN.",
    "wants_reminders": "Whether the portal sends this participant reminder emails before a certification "
    "expires. Participants change this themselves on their preferences page.",
    "wants_guideline_updates": "Whether the portal emails this participant when a guideline update for one of "
    "their courses is published. Participants change this themselves on their preferences page.",
}
SINGULAR, PLURAL = "participant", "participants"


class ParticipantForm(WagtailAdminModelForm):
    """The invitation is offered when a participant is created; an edit changes only their details."""

    send_invitation = forms.BooleanField(
        required=False, initial=True, help_text="Email the participant a link to set their password."
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in ADMIN_LABELS.items():
            self.fields[name].label = label
        for name, help_text in ADMIN_HELP_TEXTS.items():
            self.fields[name].help_text = help_text
        if self.instance.pk:
            del self.fields["send_invitation"]


class ParticipantWording:
    """Put before a Wagtail model view in its bases: its breadcrumbs lead back to the participants."""

    def get_breadcrumbs_items(self):
        index_url = reverse(self.index_url_name)
        return [
            {**item, "label": capfirst(PLURAL)} if item.get("url") == index_url else item
            for item in super().get_breadcrumbs_items()
        ]


class ParticipantStatusPanel(StatusSidePanel):
    def get_context_data(self, parent_context):
        return {**super().get_context_data(parent_context), "model_name": capfirst(SINGULAR)}


class ParticipantPaginator(WagtailPaginator):
    verbose_name, verbose_name_plural = SINGULAR, PLURAL  # "2 participants" under the list


class ParticipantIndexView(ColumnByColumnSearchMixin, ParticipantWording, IndexView):
    verbose_name, verbose_name_plural = SINGULAR, PLURAL  # "there are no participants" in an empty list
    paginator_class = ParticipantPaginator
    page_title = capfirst(PLURAL)
    add_item_label = f"Add {SINGULAR}"


class ParticipantCreateView(ParticipantWording, CreateView):
    page_subtitle = capfirst(SINGULAR)
    success_message = f"{capfirst(SINGULAR)} '%(object)s' created."
    error_message = f"The {SINGULAR} could not be created due to errors."

    def save_instance(self):
        data = self.form.cleaned_data
        details = {name: data[name] for name in DETAILS}
        return participant_create(**details, invite=data.get("send_invitation", False))


class ParticipantEditView(ParticipantWording, EditView):
    success_message = f"{capfirst(SINGULAR)} '%(object)s' updated."
    error_message = f"The {SINGULAR} could not be saved due to errors."

    def get_side_panels(self):
        usage_url, history_url = self.get_usage_url(), self.get_history_url()
        if not (usage_url or history_url):
            return MediaContainer([])
        panel = ParticipantStatusPanel(
            self.object,
            self.request,
            locale=self.locale,
            translations=self.translations,
            usage_url=usage_url,
            history_url=history_url,
            last_updated_info=self.get_last_updated_info(),
        )
        return MediaContainer([panel])


class ParticipantDeleteView(ParticipantWording, DeleteView):
    success_message = f"{capfirst(SINGULAR)} '%(object)s' deleted."
    confirmation_message = f"Are you sure you want to delete this {SINGULAR}?"


class ParticipantHistoryView(ParticipantWording, HistoryView):
    pass


class ParticipantUsageView(ParticipantWording, UsageView):
    pass


class ParticipantFilterSet(WagtailFilterSet):
    class Meta:
        model = User
        fields = ["wants_reminders", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["wants_reminders"].label = ADMIN_LABELS["wants_reminders"]


class ParticipantViewSet(RecordViewSet):
    model = User
    icon = "group"
    menu_label = capfirst(PLURAL)
    url_prefix = "participants"
    name = "participants"
    index_view_class = ParticipantIndexView
    add_view_class = ParticipantCreateView
    edit_view_class = ParticipantEditView
    delete_view_class = ParticipantDeleteView
    history_view_class = ParticipantHistoryView
    usage_view_class = ParticipantUsageView
    delete_template_name = "learning/admin/participant_confirm_delete.html"
    filterset_class = ParticipantFilterSet
    list_display = [
        "email",  # the title column, linking to the participant's form
        Column("first_name", label="First name", sort_key="first_name"),
        Column("last_name", label="Last name", sort_key="last_name"),
        Column("employer", label="Employer", sort_key="employer"),
        Column("registration_number", label="Registration number"),
        YesNoColumn("wants_reminders", label="Wants reminders"),
    ]
    search_fields = ["email", "first_name", "last_name", "registration_number", "employer"]
    edit_handler = ObjectList(
        [*(FieldPanel(name) for name in DETAILS), FieldPanel("send_invitation")], base_form_class=ParticipantForm
    )
