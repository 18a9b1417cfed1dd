"""A newcomer registers: the form answers the same for every address, the emailed link makes the account only
when a password is chosen, signs it in and leads on to the page the newcomer started from; an address that has
an account gets its password link instead; a link altered or expired makes nothing."""

import re

import pytest
from django.core import mail
from django.test import Client

from learning.models import User
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEWCOMER = {"email": "Nia.Jones@Example.org"}
DETAILS = {
    "first_name": "Nia",
    "last_name": "Jones",
    "registration_number": "NMC 12A3456E",
    "employer": "City Hospital",
}
PASSWORD = {**DETAILS, "new_password1": "a-fresh-passphrase-9", "new_password2": "a-fresh-passphrase-9"}


@pytest.fixture
def eager(settings):
    from portal.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/accounts/register/\S+/)", message.body).group(1)


def test_a_newcomer_registers_from_a_course_date_and_lands_back_on_it(client, eager):
    wanted = "/portal/book/1/"
    sign_in = client.get(f"/accounts/login/?next={wanted}").content.decode()
    assert 'href="/accounts/register/?next=/portal/book/1/"' in sign_in

    sent = client.post("/accounts/register/", {**NEWCOMER, "next": wanted}, follow=True)

    assert sent.redirect_chain[-1][0] == "/accounts/register/sent/"
    assert not User.objects.exists()  # nothing until the link is followed
    (message,) = mail.outbox
    assert message.to == ["nia.jones@example.org"] and message.subject == "Finish registering with Resus Training"
    assert "Nia" not in link_in(message)  # nothing about the person travels in the link
    page = client.get(link_in(message)).content.decode()
    assert "Finish registering" in page and "For nia.jones@example.org." in page
    assert 'action="/accounts/logout/"' not in page  # not yet signed in: the page shows no one's menu

    done = client.post(link_in(message), PASSWORD)

    assert done.status_code == 302 and done.url == wanted
    person = User.objects.get()
    assert (person.email, person.get_full_name(), person.registration_number, person.employer) == (
        "nia.jones@example.org",
        "Nia Jones",
        "NMC 12A3456E",
        "City Hospital",
    )
    assert person.check_password("a-fresh-passphrase-9")
    assert client.session["_auth_user_id"] == str(person.pk)
    again = client.post(link_in(message), PASSWORD)
    assert "has an account already" in again.content.decode() and User.objects.count() == 1


def test_an_address_with_an_account_gets_its_password_link_and_the_page_says_the_same(client, eager):
    UserFactory(email="nia.jones@example.org", first_name="Nia")

    known = client.post("/accounts/register/", NEWCOMER, follow=True)
    unknown = client.post("/accounts/register/", {**NEWCOMER, "email": "new@example.org"}, follow=True)

    assert known.content == unknown.content
    subjects = {message.to[0]: message.subject for message in mail.outbox}
    assert subjects["nia.jones@example.org"] == "Reset your Resus Training password"
    assert subjects["new@example.org"] == "Finish registering with Resus Training"
    assert User.objects.count() == 1


def test_the_form_only_queues_the_link(client, monkeypatch):
    from learning.accounts.tasks import send_registration_link_task

    queued = []
    monkeypatch.setattr(send_registration_link_task, "delay", queued.append)

    client.post("/accounts/register/", NEWCOMER)

    assert mail.outbox == [] and not User.objects.exists()
    assert queued[0]["email"] == "nia.jones@example.org"


def test_an_altered_or_expired_link_makes_nothing(client, eager, settings):
    client.post("/accounts/register/", NEWCOMER)
    link = link_in(mail.outbox[0])
    altered = link.replace("/accounts/register/", "/accounts/register/x")

    assert client.post(altered, PASSWORD).status_code == 400
    settings.REGISTRATION_LINK_DAYS = 0
    expired = client.post(link, PASSWORD)
    assert expired.status_code == 400 and "This link no longer works" in expired.content.decode()
    assert not User.objects.exists()


def test_a_weak_password_is_refused_on_its_field_and_makes_nothing(client, eager):
    client.post("/accounts/register/", NEWCOMER)

    response = client.post(link_in(mail.outbox[0]), {**DETAILS, "new_password1": "nia", "new_password2": "nia"})

    assert response.status_code == 200 and response.context["form"].errors["new_password2"]
    assert not User.objects.exists()


def test_registering_is_limited_per_address_with_the_password_links_hourly_limit(client, eager, settings):
    settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR = 2
    for _ in range(4):
        Client(REMOTE_ADDR="198.51.100.7").post("/accounts/register/", NEWCOMER)

    assert len(mail.outbox) == 2


def test_a_missing_address_is_refused_on_its_field(client):
    response = client.post("/accounts/register/", {"email": ""})

    assert response.status_code == 200 and "email" in response.context["form"].errors


@pytest.mark.parametrize("field", ["first_name", "last_name"])
def test_a_missing_name_is_refused_on_its_field_and_makes_nothing(client, eager, field):
    client.post("/accounts/register/", NEWCOMER)

    response = client.post(link_in(mail.outbox[0]), {**PASSWORD, field: ""})

    assert response.status_code == 200 and field in response.context["form"].errors
    assert not User.objects.exists()


def test_a_password_like_the_name_given_is_refused(client, eager):
    client.post("/accounts/register/", NEWCOMER)

    like_the_name = "Featherstonehaugh1"
    response = client.post(
        link_in(mail.outbox[0]),
        {**DETAILS, "last_name": "Featherstonehaugh", "new_password1": like_the_name, "new_password2": like_the_name},
    )

    assert "too similar" in " ".join(response.context["form"].errors["new_password2"])
