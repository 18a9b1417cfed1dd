"""The participants' admin speaks of participants everywhere (menu, titles, breadcrumbs, buttons, messages), in
the third person (its columns, filters and fields), while participants keep their own first-person labels."""

import re

import pytest

from learning.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def visible_text(html: str) -> str:
    """What a reader sees of a page: no scripts, icons or tags."""
    html = re.sub(r"<(script|svg|template)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def pages_of(person) -> list[str]:
    """The list, the new participant's form, then each page about `person`."""
    about = [f"/admin/participants/{page}/{person.pk}/" for page in ("edit", "delete", "history", "usage")]
    return ["/admin/participants/", "/admin/participants/new/", *about]


def test_every_page_of_the_participants_admin_says_participant_and_never_user(admin_client):
    person = UserFactory(first_name="Pat", last_name="Kelly")

    for address in pages_of(person):
        html = admin_client.get(address).content.decode()
        text = visible_text(html)
        assert not re.search(r"\busers?\b", text, re.IGNORECASE), (address, text)


def test_the_breadcrumbs_lead_back_to_the_participants(admin_client):
    person = UserFactory()

    # The list is the breadcrumbs' end, and the deletion a confirmation without them.
    for address in [page for page in pages_of(person)[1:] if "/delete/" not in page]:
        html = admin_client.get(address).content.decode()
        assert re.search(r'<a [^>]*href="/admin/participants/"[^>]*>\s*Participants\s*</a>', html), address


def test_the_list_is_titled_and_counted_in_participants(admin_client):
    UserFactory()

    text = visible_text(admin_client.get("/admin/participants/").content.decode())

    assert text.startswith("Participants - ")
    assert "Add participant" in text
    assert f"{User.objects.count()} participants" in text


def test_the_columns_and_filters_name_the_participant_in_the_third_person(admin_client):
    UserFactory()

    response = admin_client.get("/admin/participants/")
    headings = [column.label for column in response.context["table"].columns.values()]

    assert headings[-2:] == ["Registration number", "Wants reminders"]
    assert "send me" not in visible_text(response.content.decode()).lower()
    assert response.context["filters"].filters["wants_reminders"].label == "Wants reminders"


def test_the_wants_reminders_tick_reads_yes_or_no_to_a_screen_reader(admin_client):
    UserFactory(email="yes@example.com", wants_reminders=True)
    UserFactory(email="no@example.com", wants_reminders=False)

    html = admin_client.get("/admin/participants/?q=example.com").content.decode()
    rows = {
        email: row
        for row in re.findall(r"<tr\b.*?</tr>", html, flags=re.S)
        for email in re.findall(r"\w+@example\.com", row)
    }

    def spoken(row):
        """What assistive technology reads of the last cell: hidden icons left out, screen-reader text kept."""
        cell = re.findall(r"<td\b.*?</td>", row, flags=re.S)[-1]
        return visible_text(re.sub(r'<svg\b[^>]*aria-hidden="true".*?</svg>', " ", cell, flags=re.S))

    assert spoken(rows["yes@example.com"]) == "Yes"
    assert spoken(rows["no@example.com"]) == "No"
    assert "True" not in html and "False" not in html


def test_the_form_labels_speak_of_the_participant_and_their_own_labels_stay_theirs(admin_client):
    fields = admin_client.get("/admin/participants/new/").context["form"].fields

    assert fields["wants_reminders"].label == "Wants reminders"
    assert "sends this participant reminder emails" in fields["wants_reminders"].help_text
    assert User._meta.get_field("wants_reminders").verbose_name == "send me reminder emails"


def test_the_messages_after_saving_say_participant(admin_client):
    details = {"email": "new@example.org", "first_name": "New", "last_name": "Person"}
    details |= {"registration_number": "", "employer": ""}

    created = admin_client.post("/admin/participants/new/", details, follow=True)
    person = User.objects.get(email="new@example.org")
    edited = admin_client.post(f"/admin/participants/edit/{person.pk}/", details, follow=True)
    deleted = admin_client.post(f"/admin/participants/delete/{person.pk}/", follow=True)

    said = [str(message) for response in (created, edited, deleted) for message in response.context["messages"]]
    assert [message.split("\n")[0] for message in said] == [
        "Participant &#x27;New Person&#x27; created.",
        "Participant &#x27;New Person&#x27; updated.",
        "Participant &#x27;New Person&#x27; deleted.",
    ]


def test_the_register_menu_lists_participants(admin_client):
    html = admin_client.get("/admin/").content.decode()

    assert '"label": "Participants"' in html or "&quot;label&quot;: &quot;Participants&quot;" in html
