"""`load_demo` builds the demo content once; running it again changes nothing."""

import pytest
from django.core.management import CommandError, call_command

from home.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from home.models import HomePage
from learning.models import User

pytestmark = pytest.mark.django_db


def test_load_demo_creates_the_accounts_and_prints_their_sign_in(capsys):
    call_command("load_demo")

    output = capsys.readouterr().out
    assert DEMO_PASSWORD in output
    for account in DEMO_ACCOUNTS:
        assert account.email in output
        assert User.objects.get(email=account.email).check_password(DEMO_PASSWORD)
    assert User.objects.get(email="admin@example.com").is_superuser
    assert User.objects.get(email="editor@example.com").groups.filter(name="Editors").exists()


def test_load_demo_twice_changes_nothing(capsys):
    call_command("load_demo")
    users = list(User.objects.order_by("pk").values())
    revisions = HomePage.objects.get().revisions.count()

    call_command("load_demo")

    assert "nothing changed" in capsys.readouterr().out
    assert list(User.objects.order_by("pk").values()) == users
    assert HomePage.objects.get().revisions.count() == revisions


def test_load_demo_refuses_where_demo_content_is_not_allowed(settings):
    settings.DEMO_CONTENT_ALLOWED = False

    with pytest.raises(CommandError, match="published passwords"):
        call_command("load_demo")
    assert not User.objects.exists()


def test_home_page_is_served_at_the_root(client):
    response = client.get("/")

    assert response.status_code == 200
    assert "Resuscitation training for healthcare professionals" in response.content.decode()
