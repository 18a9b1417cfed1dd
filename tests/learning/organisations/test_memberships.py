"""A participant knows who sees their record: My portal lists their organisations and whose managers see it; they
may leave one (its managers, and those above it, are emailed once it is done) unless the employer confirmed the
membership. And the migration that turned the free-text employer into memberships lost nobody."""

import importlib
from pathlib import Path

import pytest
from django.apps import apps
from django.core import mail

from learning.models import Membership, Organisation
from tests.factories import MembershipFactory, UserFactory
from tests.learning.organisations.helpers import manager

pytestmark = pytest.mark.django_db


@pytest.fixture
def membership(participant, emergency):
    return MembershipFactory(organisation=emergency, participant=participant)


def test_my_portal_says_which_organisations_see_the_record(client, participant, membership):
    client.force_login(participant)

    html = client.get("/portal/").content.decode()

    section = html.split('data-testid="organisations"')[1].split("</section>")[0]
    assert "Riverside Hospitals NHS Trust \u203a Emergency Department" in section
    assert "Seen by the managers of Emergency Department, Riverside Hospitals NHS Trust." in section
    assert f'href="/portal/organisations/{membership.pk}/leave/"' in section


def test_my_portal_says_when_no_organisation_sees_the_record(client, participant):
    client.force_login(participant)

    section = client.get("/portal/").content.decode().split('data-testid="organisations"')[1]

    assert "No organisation sees your record" in section


def test_leaving_asks_first(client, participant, membership):
    client.force_login(participant)

    response = client.get(f"/portal/organisations/{membership.pk}/leave/")

    assert response.status_code == 200
    assert "will no longer see your certifications" in response.content.decode()
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_leaving_ends_the_membership_and_emails_the_managers_on_commit(
    client, participant, membership, trust, emergency, elsewhere, django_capture_on_commit_callbacks
):
    department_boss, trust_boss, other_boss = manager(emergency), manager(trust), manager(elsewhere)
    client.force_login(participant)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/portal/organisations/{membership.pk}/leave/")

    assert response.status_code == 302
    assert not Membership.objects.filter(pk=membership.pk).exists()
    assert len(callbacks) == 1
    assert sorted(message.to[0] for message in mail.outbox) == sorted([department_boss.email, trust_boss.email])
    assert other_boss.email not in [message.to[0] for message in mail.outbox]
    message = mail.outbox[0]
    assert message.subject == "Pat Participant left Riverside Hospitals NHS Trust \u203a Emergency Department"
    assert participant.email in message.body
    assert "/portal/team/" in message.body


def test_a_membership_the_employer_confirmed_cannot_be_left(
    client, participant, membership, emergency, django_capture_on_commit_callbacks
):
    manager(emergency)
    membership.employer_verified = True
    membership.save()
    client.force_login(participant)

    page = client.get(f"/portal/organisations/{membership.pk}/leave/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/portal/organisations/{membership.pk}/leave/", follow=True)

    assert "cannot leave it here" in page and "<form" not in page.split('data-testid="leave-confirmation"')[1]
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert "contact the training office" in response.content.decode()
    assert mail.outbox == []


def test_nobody_leaves_on_someone_elses_behalf(client, membership):
    client.force_login(UserFactory())

    assert client.post(f"/portal/organisations/{membership.pk}/leave/").status_code == 404
    assert Membership.objects.filter(pk=membership.pk).exists()


def test_my_portal_says_a_confirmed_membership_cannot_be_left_there(client, participant, membership):
    membership.employer_verified = True
    membership.save()
    client.force_login(participant)

    section = client.get("/portal/").content.decode().split('data-testid="organisations"')[1].split("</section>")[0]

    assert "Confirmed by your employer" in section
    assert "/leave/" not in section


# --- The migration of User.employer -----------------------------------------------------------------------------


def employers_become_memberships():
    """The migration's data move, found by the migration's name (its number changes when branches merge)."""
    [path] = Path(importlib.import_module("learning.migrations").__file__).parent.glob("*_organisations.py")
    return importlib.import_module(f"learning.migrations.{path.stem}").employers_become_memberships


def test_every_employer_becomes_a_membership_and_spellings_are_one_organisation():
    named = [UserFactory(employer=text) for text in ("City Hospital", "city  hospital ", "City Hospital", "Ambulance")]
    nobody = UserFactory(employer="   ")

    employers_become_memberships()(apps, None)

    assert sorted(Organisation.objects.values_list("name", flat=True)) == ["Ambulance", "City Hospital"]
    for person in named:
        membership = Membership.objects.get(participant=person)
        assert membership.organisation.name.casefold() == " ".join(person.employer.split()).casefold()
        assert not membership.employer_verified
    assert not Membership.objects.filter(participant=nobody).exists()
    assert UserFactory._meta.model.objects.get(pk=named[1].pk).employer == "city  hospital "  # the text is kept
