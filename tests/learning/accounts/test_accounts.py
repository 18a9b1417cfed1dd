"""Participants sign in with their email, sign out, reset and change their password; failures lock out."""

import re

import pytest
from django.contrib.auth.hashers import identify_hasher, make_password
from django.core import mail
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from learning.accounts.password_reset import reset_recipients
from learning.models import User
from tests.conftest import require
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


def sign_in(client, email, password, url=LOGIN, **extra):
    return client.post(url, {"username": email, "password": password}, **extra)


def test_sign_in_with_email_and_password_shows_the_name(client, participant):
    response = sign_in(client, "pat.participant@example.org", PASSWORD)

    assert response.status_code == 302
    page = client.get("/")
    assert "Pat Participant" in page.content.decode()


def test_sign_in_ignores_the_case_of_the_email(client, participant):
    response = sign_in(client, "Pat.Participant@Example.ORG", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(participant.pk)


def test_wrong_password_says_so_on_the_site_form(client, participant):
    response = sign_in(client, participant.email, "not-the-password")

    assert response.status_code == 200
    assert "do not match an account" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_sign_in_page_is_in_the_site_look_not_the_admin_look(client):
    html = client.get(LOGIN).content.decode()

    assert "home/css/site.css" in html
    assert "Email address" in html
    assert "wagtailadmin" not in html


def test_sign_out_ends_the_session(client, participant):
    client.force_login(participant)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_sign_out_address_typed_or_bookmarked_asks_first_and_signs_nobody_out(client, participant):
    client.force_login(participant)

    page = client.get(reverse("logout"))

    assert page.status_code == 200
    assert "Sign out?" in page.content.decode() and participant.email in page.content.decode()
    assert "_auth_user_id" in client.session  # a link alone (an image on another site, say) signs nobody out


def test_passwords_are_stored_as_argon2_hashes(participant):
    participant.set_password("a-brand-new-passphrase")
    participant.save()

    assert identify_hasher(participant.password).algorithm == "argon2"


@pytest.mark.parametrize("url", [LOGIN, ADMIN_LOGIN])
def test_repeated_failures_lock_the_account_out_from_that_address(client, participant, url, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, participant.email, "wrong-guess", url=url)

    response = sign_in(client, participant.email, PASSWORD, url=url)

    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


# Spellings of pat.participant@example.org that all name the one account: case, surrounding spaces, and
# full-width letters, which Unicode's NFKC form turns into the plain ones.
SPELLINGS = [
    "Pat.Participant@Example.ORG",
    "  pat.participant@example.org  ",
    "PAT.PARTICIPANT@EXAMPLE.ORG",
    "pat.participant@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.org",
    "pAt.pArTiCiPaNt@eXaMpLe.oRg\t",
]


@pytest.mark.parametrize("url", [LOGIN, ADMIN_LOGIN])
def test_failures_under_any_spelling_of_the_address_count_for_one_account(client, participant, url, settings):
    assert len(SPELLINGS) == settings.AXES_FAILURE_LIMIT
    for spelling in SPELLINGS:
        sign_in(client, spelling, "wrong-guess", url=url)

    response = sign_in(client, participant.email, PASSWORD, url=url)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("url", [LOGIN, ADMIN_LOGIN])
def test_a_lockout_refuses_every_spelling_of_the_address(client, participant, url, spelling, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, participant.email, "wrong-guess", url=url)

    response = sign_in(client, spelling, PASSWORD, url=url)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(("failed_on", "tried_on"), [(LOGIN, ADMIN_LOGIN), (ADMIN_LOGIN, LOGIN)])
def test_a_lockout_on_one_sign_in_form_holds_on_the_other(client, participant, failed_on, tried_on, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "Pat.Participant@example.org", "wrong-guess", url=failed_on)

    response = sign_in(client, participant.email, PASSWORD, url=tried_on)

    assert response.status_code == 429


@pytest.mark.parametrize("url", [LOGIN, ADMIN_LOGIN])
def test_the_right_password_in_another_case_does_not_clear_the_lock(client, participant, url, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, participant.email, "wrong-guess", url=url)

    other_case = sign_in(client, "PAT.PARTICIPANT@EXAMPLE.ORG", PASSWORD, url=url)
    as_stored = sign_in(client, participant.email, PASSWORD, url=url)

    assert (other_case.status_code, as_stored.status_code) == (429, 429)
    assert "_auth_user_id" not in client.session


def test_fewer_failures_than_the_limit_under_other_spellings_still_let_the_right_password_in(
    client, participant, settings
):
    for spelling in SPELLINGS[: settings.AXES_FAILURE_LIMIT - 1]:
        sign_in(client, spelling, "wrong-guess")

    response = sign_in(client, "Pat.Participant@Example.org", PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(participant.pk)


def test_a_lockout_does_not_stop_the_same_account_from_another_address(client, participant, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, participant.email, "wrong-guess", REMOTE_ADDR="198.51.100.7")

    response = sign_in(client, participant.email, PASSWORD, REMOTE_ADDR="198.51.100.8")

    assert response.status_code == 302


@override_settings(AXES_IPWARE_PROXY_COUNT=0, AXES_IPWARE_META_PRECEDENCE_ORDER=("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"))
def test_behind_a_proxy_the_lockout_counts_the_client_address_the_proxy_reports(client, participant, settings):
    # One proxy (10.0.0.2) appends the address it saw; the attacker forges an entry at the left.
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, participant.email, "wrong-guess", HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.5", **proxy)

    attacker = sign_in(client, participant.email, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.5", **proxy)
    colleague = sign_in(client, participant.email, PASSWORD, HTTP_X_FORWARDED_FOR="192.0.2.99, 203.0.113.6", **proxy)

    assert attacker.status_code == 429
    assert colleague.status_code == 302


def test_password_reset_email_link_sets_a_new_password(client, participant):
    response = client.post(reverse("password_reset"), {"email": "pat.participant@example.org"})
    assert response.status_code == 302

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["pat.participant@example.org"]
    assert message.subject == "Reset your Resus Training password"
    assert "Questions? training@example.org" in message.body  # the office's footer, as in every email
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body).group(1)
    assert link in html

    form_page = client.get(link, follow=True)
    set_password_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": "a-fresh-passphrase-9", "new_password2": "a-fresh-passphrase-9"}
    )

    assert done.status_code == 302
    assert done.url == reverse("password_reset_complete")
    assert sign_in(client, participant.email, "a-fresh-passphrase-9").status_code == 302


def test_a_reset_begun_from_a_private_page_leads_back_to_it_after_the_sign_in(client, participant):
    # A nurse follows a guideline email to a private page, is asked to sign in, has forgotten the password: the
    # link, the "password set" page and the sign-in after it all lead on to the page she wanted.
    wanted = "/portal/profile/"
    sign_in_page = client.get(f"{LOGIN}?next={wanted}").content.decode()
    assert 'href="/accounts/password/reset/?next=/portal/profile/"' in sign_in_page

    form = client.get(f"/accounts/password/reset/?next={wanted}").content.decode()
    assert 'name="next" value="/portal/profile/"' in form
    client.post(reverse("password_reset"), {"email": participant.email, "next": wanted})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+)", mail.outbox[0].body).group(1)
    assert link.endswith("/?next=%2Fportal%2Fprofile%2F")

    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": "a-fresh-passphrase-9", "new_password2": "a-fresh-passphrase-9"}
    )
    assert done.url == "/accounts/password/reset/complete/?next=%2Fportal%2Fprofile%2F"
    complete = client.get(done.url).content.decode()
    assert 'href="/accounts/login/?next=/portal/profile/"' in complete

    signed_in = sign_in(client, participant.email, "a-fresh-passphrase-9", url=f"{LOGIN}?next={wanted}")
    assert signed_in.url == wanted


@pytest.mark.parametrize(
    "elsewhere", ["https://evil.example/", "//evil.example/", "/\\evil.example/", "javascript:alert(1)", "portal/"]
)
def test_a_next_that_leaves_the_site_is_dropped_from_the_reset(client, participant, elsewhere):
    form = client.get("/accounts/password/reset/", {"next": elsewhere}).content.decode()
    client.post(reverse("password_reset"), {"email": participant.email, "next": elsewhere})

    assert "evil" not in form and "javascript" not in form
    body = mail.outbox[0].body
    assert "next=" not in body
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", body).group(1)
    crafted = client.get(f"{link}?next={elsewhere}", follow=True).redirect_chain[-1][0]
    done = client.post(crafted, {"new_password1": "a-fresh-passphrase-9", "new_password2": "a-fresh-passphrase-9"})
    assert done.url == reverse("password_reset_complete")


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(client):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)

    assert "Check your email" in response.content.decode()
    assert mail.outbox == []


def request_reset(client, email, client_address="198.51.100.20"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=client_address)


@override_settings(PASSWORD_RESET_PER_ADDRESS_PER_HOUR=2, PASSWORD_RESET_PER_CLIENT_PER_HOUR=100)
def test_password_reset_is_limited_per_address_however_it_is_spelled(client, participant):
    spellings = ["pat.participant@example.org", "Pat.Participant@Example.org", "PAT.PARTICIPANT@EXAMPLE.ORG"]
    responses = [
        request_reset(client, spelling, client_address=f"198.51.100.{n}") for n, spelling in enumerate(spellings)
    ]

    assert len(mail.outbox) == 2
    assert [r.status_code for r in responses] == [302, 302, 302]
    assert {r.url for r in responses} == {reverse("password_reset_done")}


@override_settings(PASSWORD_RESET_PER_ADDRESS_PER_HOUR=2, PASSWORD_RESET_PER_CLIENT_PER_HOUR=100)
def test_the_address_limit_of_one_account_leaves_other_accounts_alone(client, participant):
    other = UserFactory(email="olu@example.org")
    for _ in range(3):
        request_reset(client, participant.email)
    mail.outbox.clear()

    request_reset(client, other.email)

    assert [message.to for message in mail.outbox] == [[other.email]]


@override_settings(PASSWORD_RESET_PER_ADDRESS_PER_HOUR=100, PASSWORD_RESET_PER_CLIENT_PER_HOUR=3)
def test_password_reset_is_limited_per_client(client):
    people = [UserFactory(email=f"reset{n}@example.org") for n in range(4)]

    for person in people:
        request_reset(client, person.email, client_address="203.0.113.9")
    from_elsewhere = request_reset(client, people[3].email, client_address="203.0.113.10")

    assert [message.to[0] for message in mail.outbox] == [p.email for p in people[:3]] + [people[3].email]
    assert from_elsewhere.status_code == 302


@override_settings(PASSWORD_RESET_PER_ADDRESS_PER_HOUR=1, PASSWORD_RESET_PER_CLIENT_PER_HOUR=100)
def test_over_the_limit_the_page_is_the_same_as_for_any_address(client, participant):
    request_reset(client, participant.email)

    over = client.post(reverse("password_reset"), {"email": participant.email}, follow=True)
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)

    assert len(mail.outbox) == 1
    assert over.redirect_chain == unknown.redirect_chain
    assert over.content == unknown.content


@override_settings(PASSWORD_RESET_PER_ADDRESS_PER_HOUR=2, PASSWORD_RESET_PER_CLIENT_PER_HOUR=100)
def test_the_admin_password_reset_counts_against_the_same_limit(client, participant):
    site = request_reset(client, participant.email)
    admin = [
        client.post("/admin/password_reset/", {"email": participant.email}, REMOTE_ADDR=f"198.51.100.{n}")
        for n in (30, 31)
    ]

    assert len(mail.outbox) == 2
    assert site.url == reverse("password_reset_done")
    assert [response.status_code for response in admin] == [302, 302]
    assert {response.url for response in admin} == {"/admin/password_reset/done/"}


def never_set_a_password(**fields):
    """A participant as an import or an administrator makes one: no password."""
    return User.objects.create_user(first_name="Nia", last_name="New", **fields)


def test_a_participant_who_never_set_a_password_is_sent_a_link_to_set_one(client):
    # Made by an import, the invitation lapsed: "Forgotten your password?" is their way in.
    person = never_set_a_password(email="nia.new@example.org")

    client.post(reverse("password_reset"), {"email": "Nia.New@Example.ORG"})

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nia.new@example.org"]  # the address the account holds, not the one typed
    assert message.subject == "Set your Resus Training password"
    assert "it has no password yet" in message.body
    assert "Set your password" in message.alternatives[0][0]
    link = re.search(r"(/accounts/password/reset/\S+/)", message.body).group(1)
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    done = client.post(
        set_password_url, {"new_password1": "a-fresh-passphrase-9", "new_password2": "a-fresh-passphrase-9"}
    )
    assert done.url == reverse("password_reset_complete")
    assert sign_in(client, person.email, "a-fresh-passphrase-9").status_code == 302


def test_a_participant_with_a_password_is_still_told_it_is_a_reset(client, participant):
    client.post(reverse("password_reset"), {"email": participant.email})

    assert mail.outbox[0].subject == "Reset your Resus Training password"
    assert "your password stays as it is" in mail.outbox[0].body
    assert "no password yet" not in mail.outbox[0].body


def test_a_deactivated_account_is_sent_no_link_with_or_without_a_password(client):
    never_set_a_password(email="gone@example.org", is_active=False)
    UserFactory(email="left@example.org", is_active=False)

    for address in ("gone@example.org", "left@example.org"):
        response = client.post(reverse("password_reset"), {"email": address})
        assert response.url == reverse("password_reset_done")

    assert mail.outbox == []


def test_the_admin_reset_form_sends_to_the_same_accounts(client):
    never_set_a_password(email="nia.new@example.org")
    never_set_a_password(email="gone@example.org", is_active=False)
    editor = UserFactory(email="ed.editor@example.org", is_staff=True, is_superuser=True)

    for address in ("NIA.new@example.org", "gone@example.org", "nobody@example.org", "Ed.Editor@example.org"):
        assert client.post("/admin/password_reset/", {"email": address}).status_code == 302

    sent = {message.to[0]: message for message in mail.outbox}
    assert sorted(sent) == ["ed.editor@example.org", "nia.new@example.org"]
    # A participant, who may not use the admin, gets the site's link; an editor the admin's.
    assert sent["nia.new@example.org"].subject == "Set your Resus Training password"
    assert "/accounts/password/reset/" in sent["nia.new@example.org"].body
    assert "http://localhost:8000/admin/password_reset/confirm/" in sent[editor.email].body
    link = re.search(r"(/admin/password_reset/confirm/\S+/)", sent[editor.email].body).group(1)
    form_page = client.get(link, follow=True)
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "an-editors-phrase-4", "new_password2": "an-editors-phrase-4"},
    )
    assert done.url == "/admin/password_reset/complete/"


def test_the_sign_in_page_points_those_without_a_password_to_the_reset(client):
    page = client.get(LOGIN).content.decode()

    assert "Forgotten your password, or never set one?" in page
    assert "you never set a password, the link sets one" in client.get(reverse("password_reset")).content.decode()


def test_the_request_only_queues_the_link_whatever_the_address(client, participant, monkeypatch):
    # Sending takes a mail provider hundreds of milliseconds: in the request it would tell which addresses have
    # an account. The request queues the address as typed, the same for every address, and sends nothing.
    from learning.accounts.tasks import send_reset_links_task

    queued = []
    monkeypatch.setattr(send_reset_links_task, "delay", lambda *args, **kwargs: queued.append((args, kwargs)))
    known = client.post(reverse("password_reset"), {"email": participant.email}, follow=True)
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
    from_admin = client.post("/admin/password_reset/", {"email": participant.email})

    assert mail.outbox == []
    assert queued == [
        ((participant.email,), {"admin": False, "next_path": ""}),
        (("nobody@example.org",), {"admin": False, "next_path": ""}),
        ((participant.email,), {"admin": True, "next_path": ""}),
    ]
    assert known.redirect_chain == unknown.redirect_chain and known.content == unknown.content
    assert from_admin.status_code == 302


def test_a_broker_that_is_down_gives_the_usual_page(client, participant, monkeypatch, caplog):
    from learning.accounts.tasks import send_reset_links_task

    def refuse(*args, **kwargs):
        raise ConnectionError("the broker is down")

    monkeypatch.setattr(send_reset_links_task, "delay", refuse)
    response = client.post(reverse("password_reset"), {"email": participant.email}, follow=True)

    assert response.status_code == 200 and "Check your email" in response.content.decode()
    assert "could not queue a password link" in caplog.text


@override_settings(ALLOWED_HOSTS=["testserver", "other.example"])
def test_the_link_is_made_from_the_portals_address_not_the_requests_host(client, settings, participant):
    client.post(reverse("password_reset"), {"email": participant.email}, HTTP_HOST="other.example")

    link = re.search(r"\S+/accounts/password/reset/\S+/", mail.outbox[0].body).group(0)
    assert link.startswith(f"{settings.PORTAL_BASE_URL}/accounts/password/reset/")
    assert "other.example" not in mail.outbox[0].body and "other.example" not in mail.outbox[0].alternatives[0][0]


@override_settings(PASSWORD_RESET_PER_ADDRESS_PER_HOUR=2, PASSWORD_RESET_PER_CLIENT_PER_HOUR=100)
def test_a_spelling_the_database_lowers_otherwise_neither_reaches_the_account_nor_escapes_its_limit(client):
    # Python lower-cases the dotted capital I to "i" and a combining dot; PostgreSQL's LOWER() to a plain "i".
    # Read canonically, as the sign-in reads it, "TİM@..." is another address, which no account has.
    UserFactory(email="tim@example.org")
    for n, spelling in enumerate(["tim@example.org", "TİM@example.org", "T\u0130M@example.org", "tim@example.org"]):
        request_reset(client, spelling, client_address=f"198.51.100.{n}")

    assert [message.to for message in mail.outbox] == [["tim@example.org"], ["tim@example.org"]]


def test_addresses_are_stored_as_they_are_signed_in_with(client):
    # A full-width letter in the domain passes Django's address check (IDNA maps it); stored as typed, the account
    # could neither sign in nor get a link.
    made = User.objects.create_user(email=" Pat@\uff45xample.ORG ", first_name="Pat")
    client.post(reverse("password_reset"), {"email": "pat@example.org"})

    assert made.email == "pat@example.org"
    assert [message.to for message in mail.outbox] == [["pat@example.org"]]


@override_settings(PASSWORD_RESET_PER_ADDRESS_PER_HOUR=2)
def test_the_worker_counts_each_accounts_links_as_well(participant):
    # However the requests reached it (web processes that do not share a count, say), an account gets no more.
    from learning.accounts.password_reset import send_reset_links

    sent = [send_reset_links(participant.email) for _ in range(3)]

    assert sent == [1, 1, 0]
    assert len(mail.outbox) == 2


def test_a_full_width_spelling_signs_in_and_gets_a_link_as_the_plain_one_does(client, participant):
    full_width = "\uff50\uff41\uff54.participant@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.org"

    signed_in = sign_in(client, full_width, PASSWORD)
    client.post(reverse("logout"))
    client.post(reverse("password_reset"), {"email": full_width})

    assert signed_in.status_code == 302
    assert [message.to for message in mail.outbox] == [["pat.participant@example.org"]]


def follow_reset_link(client, message, new_password: str, **extra):
    """The page the emailed link leads to, and the answer to setting `new_password` on it."""
    link = re.search(r"(/accounts/password/reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True, **extra)
    new = {"new_password1": new_password, "new_password2": new_password}
    return form, client.post(form.redirect_chain[-1][0], new, **extra)


def test_setting_a_password_through_the_link_unlocks_sign_in_from_that_client_only(client, participant, settings):
    mine, other = {"REMOTE_ADDR": "198.51.100.7"}, {"REMOTE_ADDR": "203.0.113.66"}
    for where in (mine, other):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            sign_in(client, participant.email, "wrong-guess", **where)
    assert sign_in(client, participant.email, PASSWORD, **mine).status_code == 429
    client.post(reverse("password_reset"), {"email": participant.email}, **mine)

    follow_reset_link(client, mail.outbox[0], "a-fresh-passphrase-9", **mine)

    assert sign_in(client, participant.email, "a-fresh-passphrase-9", **mine).status_code == 302
    client.post(reverse("logout"))
    assert sign_in(client, participant.email, "a-fresh-passphrase-9", **other).status_code == 429


def test_a_link_sent_before_the_account_was_deactivated_no_longer_works(client, participant):
    client.post(reverse("password_reset"), {"email": participant.email})
    participant.is_active = False
    participant.save()

    link = re.search(r"(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    page = client.get(link, follow=True)

    assert "This link no longer works" in page.content.decode()
    assert "new_password1" not in page.content.decode()


def test_the_lockout_page_says_a_link_ends_it(client, participant, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, participant.email, "wrong-guess")

    page = sign_in(client, participant.email, "wrong-guess").content.decode()

    assert "or set one, if you never have" in page
    assert "unlocks sign-in on the device and connection you set it from" in page


def test_the_page_of_a_first_password_says_so_and_names_the_account(client):
    never_set_a_password(email="nia.new@example.org")
    client.post(reverse("password_reset"), {"email": "nia.new@example.org"})

    form, _ = follow_reset_link(client, mail.outbox[0], "")

    page = form.content.decode()
    assert "<h1>Set your password</h1>" in page
    assert "For your account nia.new@example.org" in page
    assert 'autocomplete="username"' in page


def test_a_form_sent_without_its_security_token_gets_the_portals_page():
    response = Client(enforce_csrf_checks=True).post(reverse("password_reset"), {"email": "pat@example.org"})

    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()


def test_a_used_reset_link_no_longer_works(client, participant):
    client.post(reverse("password_reset"), {"email": participant.email})
    link = re.search(r"(/accounts/password/reset/\S+/)", mail.outbox[0].body).group(1)
    set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(set_password_url, {"new_password1": "a-fresh-passphrase-9", "new_password2": "a-fresh-passphrase-9"})

    again = client.get(link, follow=True)

    assert "This link no longer works" in again.content.decode()


def test_change_password_needs_the_old_one(client, participant):
    client.force_login(participant)

    refused = client.post(
        reverse("password_change"),
        {
            "old_password": "wrong",
            "new_password1": "another-passphrase-7",
            "new_password2": "another-passphrase-7",
        },
    )
    changed = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another-passphrase-7",
            "new_password2": "another-passphrase-7",
        },
    )

    assert refused.status_code == 200
    assert "old password was entered incorrectly" in refused.content.decode()
    assert changed.status_code == 302
    participant.refresh_from_db()
    assert participant.check_password("another-passphrase-7")


def test_change_password_requires_sign_in(client):
    response = client.get(reverse("password_change"))

    assert response.status_code == 302
    assert response.url.startswith(LOGIN)


def test_editor_reaches_the_wagtail_admin(client):
    from django.contrib.auth.models import Group

    editor = UserFactory(email="editor@example.org")
    editor.groups.add(Group.objects.get(name="Editors"))

    sign_in(client, "editor@example.org", PASSWORD, url=ADMIN_LOGIN)

    assert client.get("/admin/").status_code == 200


def test_participant_is_kept_out_of_the_wagtail_admin(client, participant):
    client.force_login(participant)

    response = client.get("/admin/")

    assert response.status_code == 302


def test_the_participant_admin_offers_the_invitation_only_when_creating(admin_client):
    participant = UserFactory()

    creating = admin_client.get("/admin/participants/new/").context["form"].fields
    editing = admin_client.get(f"/admin/participants/edit/{participant.pk}/").context["form"].fields

    assert "send_invitation" in creating
    assert "send_invitation" not in editing and "email" in editing


def test_the_participant_admin_edits_the_details(admin_client):
    participant = UserFactory(employer="")
    data = {
        "email": participant.email,
        "first_name": participant.first_name,
        "last_name": participant.last_name,
        "registration_number": "",
        "employer": "City Hospital",
        "wants_reminders": "on",
    }

    response = admin_client.post(f"/admin/participants/edit/{participant.pk}/", data)

    assert response.status_code == 302
    participant.refresh_from_db()
    assert participant.employer == "City Hospital"


# --- Invitations leave the request ---------------------------------------------------------------------------


def test_creating_a_participant_queues_the_invitation_for_after_the_commit(admin_client):
    from unittest import mock

    data = {"email": "new@example.org", "first_name": "New", "last_name": "Person", "send_invitation": "on"}
    with mock.patch("learning.accounts.services.send_invitation_task.delay_on_commit") as queued:
        assert admin_client.post("/admin/participants/new/", data).status_code == 302

    queued.assert_called_once_with(User.objects.get(email="new@example.org").pk)
    assert mail.outbox == []  # nothing was sent while the administrator waited for the page


def test_a_participant_created_in_a_transaction_that_rolls_back_is_not_invited(db, django_capture_on_commit_callbacks):
    from django.db import transaction

    from learning.accounts.services import participant_create

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        participant_create(email="gone@example.org", first_name="G", last_name="One", invite=True)
        raise RuntimeError("the import failed after this row")

    assert mail.outbox == []
    assert not User.objects.filter(email="gone@example.org").exists()


def test_an_invitation_is_not_sent_to_someone_who_set_a_password_meanwhile(db):
    from learning.accounts.emails import send_invitation

    waiting = UserFactory(password=make_password(None))  # created by an administrator, not yet signed in
    settled = UserFactory()

    assert send_invitation(waiting.pk) is True
    assert send_invitation(settled.pk) is False
    assert [message.to for message in mail.outbox] == [[waiting.email]]


# --- My details ------------------------------------------------------------------------------------------------


def test_a_participant_edits_their_own_details_but_not_their_sign_in(client, db):
    person = UserFactory(email="ann@example.org", first_name="Ann", last_name="Lee")
    client.force_login(person)

    response = client.post(
        "/portal/profile/",
        {
            "first_name": "Anne",
            "last_name": "Lee-Smith",
            "registration_number": "NMC 12A3456E",
            "employer": "City Hospital",
            "email": "attacker@example.org",
        },
    )

    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.first_name, person.last_name, person.registration_number, person.employer) == (
        "Anne",
        "Lee-Smith",
        "NMC 12A3456E",
        "City Hospital",
    )
    assert person.email == "ann@example.org"


def test_a_certified_participant_cannot_rename_themselves_on_their_verified_certification(client, db, als1):
    from tests.factories import CertificationFactory

    person = UserFactory(first_name="Alice", last_name="Nguyen")
    certification = CertificationFactory(participant=person, course=als1)
    client.force_login(person)

    form = client.get("/portal/profile/").content.decode()
    response = client.post(
        "/portal/profile/",
        {"first_name": "Dr Jane", "last_name": "Doe", "registration_number": "NMC 1", "employer": "City Hospital"},
    )

    assert "Your name is on your certification and its public verification." in form
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.first_name, person.last_name, person.employer) == ("Alice", "Nguyen", "City Hospital")
    assert "Alice Nguyen" in Client().get(f"/verify/{certification.number}/").content.decode()


def test_a_name_left_empty_is_refused_on_its_field(client, db):
    person = UserFactory(first_name="Ann")
    client.force_login(person)

    response = client.post("/portal/profile/", {"first_name": " ", "last_name": "Lee"})

    assert response.status_code == 200
    assert "first_name" in response.context["form"].errors
    person.refresh_from_db()
    assert person.first_name == "Ann"


def test_the_lockout_page_says_how_long_in_words(client, participant, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, participant.email, "wrong-guess", url=LOGIN)

    html = sign_in(client, participant.email, PASSWORD, url=LOGIN).content.decode()

    assert "locked for 15 minutes after" in html
    assert "0:15:00" not in html


def test_a_participant_created_without_reminders_keeps_that_choice(admin_client):
    data = {"email": "quiet@example.org", "first_name": "Q", "last_name": "Uiet"}  # the reminders box left unticked

    assert admin_client.post("/admin/participants/new/", data).status_code == 302

    assert User.objects.get(email="quiet@example.org").wants_reminders is False


def test_the_participant_admin_shows_and_keeps_the_guideline_update_choice(admin_client):
    data = {"email": "updates@example.org", "first_name": "U", "last_name": "Pdates", "wants_reminders": "on"}

    form = admin_client.get("/admin/participants/new/").content.decode()
    assert admin_client.post("/admin/participants/new/", data).status_code == 302

    assert "Wants guideline updates" in form
    person = User.objects.get(email="updates@example.org")
    assert (person.wants_reminders, person.wants_guideline_updates) == (True, False)


def test_the_sign_in_lookup_is_answered_by_the_unique_index_of_the_lower_cased_address(participant):
    require(connection.vendor == "postgresql", "the plan is PostgreSQL's (DATABASE_URL)")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a test's table is small enough to be read whole

    plan = User.objects.with_email("Pat.Participant@Example.ORG").explain()

    assert "user_email_unique_ignoring_case" in plan
    assert User.objects.get_by_natural_key("PAT.participant@example.org") == participant
    assert "user_email_unique_ignoring_case" in reset_recipients("PAT.participant@example.org").explain()


def test_wagtails_own_sign_in_form_leads_to_the_sites(client):
    response = client.get("/_util/login/?next=/portal/profile/")

    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/portal/profile/"
