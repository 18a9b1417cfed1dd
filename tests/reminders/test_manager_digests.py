"""Managers' digests: one email per manager and period listing the members they manage who need action and are not
booked in time, through the outbox's guarantees (once under concurrent runs, retried, tracked, suppressed on a hard
bounce, one-click unsubscribe), and nothing when nobody needs action."""

import datetime
import json
import re

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from werkzeug import Response

from learning.models import Booking
from reminders.delivery import drain
from reminders.digests import deliver_to_manager, period_start, run_manager_digests
from reminders.models import ManagerDigest, Suppression
from reminders.outbox import TransientSendError
from tests.conftest import at_once, require
from tests.factories import OrganisationFactory, make_course_date, set_portal_settings
from tests.learning.organisations.helpers import TODAY, book, certify, day, manager, member
from tests.learning.organisations.helpers import require as require_course
from tests.reminders.conftest import accepted, at, bounce

pytestmark = pytest.mark.django_db
NEXT_WEEK = TODAY + datetime.timedelta(days=7)


def run(today=TODAY, hour=7):
    """A digest run on `today`, its sends done in the test's process."""
    now = at(today, hour)
    return run_manager_digests(today=today, now=now, dispatch=lambda pk: deliver_to_manager(pk, today=today, now=now))


def digests_to(person) -> list:
    return [message for message in mail.outbox if message.to == [person.email]]


@pytest.fixture
def team(trust, emergency, als1):
    """A trust requiring ALS1, its manager, and one member in the trust who is expiring and not booked."""
    require_course(trust, als1)
    boss = manager(trust, email="boss@example.org")
    lapsing = member(emergency, email="lapsing@example.org", first_name="Lou", last_name="Lapsing")
    certify(lapsing, als1, expires_in=30)
    return boss, lapsing


def test_a_manager_gets_one_email_listing_each_member_who_needs_action_with_dates_and_a_link(team, als1):
    boss, lapsing = team
    make_course_date(als1, starts_in_days=20, today=TODAY, venue="Riverside Skills Lab")

    run()

    [message] = digests_to(boss)
    assert message.subject == "Your team: 1 member to book"
    assert "Lou Lapsing (lapsing@example.org)" in message.body
    assert f"ALS1: Expiring, expires on {day(30):%-d %B %Y}, in 30 days." in message.body
    assert f"{day(20):%-d %b %Y}, Riverside Skills Lab" in message.body
    assert f"Their record: {settings.PORTAL_BASE_URL}/portal/team/members/{lapsing.pk}/" in message.body
    book_url = f"{settings.PORTAL_BASE_URL}/portal/team/group-bookings/new/?participants={lapsing.pk}"
    assert f"Book for them: {book_url}" in message.body
    assert f'<a href="{book_url}"' in message.alternatives[0][0]
    assert ManagerDigest.objects.get().status == "sent"


def test_book_for_them_opens_the_group_booking_with_the_member_chosen(client, team):
    boss, lapsing = team
    client.force_login(boss)

    member_page = client.get(f"/portal/team/members/{lapsing.pk}/").content.decode()
    form = client.get(f"/portal/team/group-bookings/new/?participants={lapsing.pk}").content.decode()

    assert f'href="/portal/team/group-bookings/new/?participants={lapsing.pk}"' in member_page
    assert f'name="participants" value="{lapsing.pk}"' in form and "Lou Lapsing" in form


def booked_member(organisation, course, *, starts_in: int, status=Booking.CONFIRMED):
    """A member whose certification expires in 30 days, with a place on a date starting `starts_in` days from now."""
    person = member(organisation)
    certify(person, course, expires_in=30)
    book(person, course, starts_in=starts_in, status=status)
    return person


@pytest.mark.parametrize(
    ("starts_in", "status", "listed"),
    [
        pytest.param(25, Booking.CONFIRMED, False, id="a place before the expiry renews in time"),
        pytest.param(40, Booking.CONFIRMED, True, id="a place after the expiry leaves a gap"),
        pytest.param(10, Booking.WAITLISTED, True, id="a waiting-list place is no place"),
    ],
)
def test_a_booked_member_is_listed_only_when_the_place_does_not_renew_in_time(
    team, emergency, als1, starts_in, status, listed
):
    boss, lapsing = team
    booked = booked_member(emergency, als1, starts_in=starts_in, status=status)

    run()

    [message] = digests_to(boss)
    assert lapsing.email in message.body
    assert (booked.email in message.body) is listed


def test_the_digest_says_from_when_a_late_place_leaves_the_member_uncertified(team, emergency, als1):
    boss, _ = team
    booked_member(emergency, als1, starts_in=40)

    run()

    expected = f"after the certification expires: not certified from {day(31):%-d %B %Y}"
    assert expected in digests_to(boss)[0].body


def test_nothing_is_sent_when_nobody_needs_action(trust, als1):
    require_course(trust, als1)
    boss = manager(trust)
    certify(member(trust), als1, expires_in=200)  # current, outside the expiring window
    booked_member(trust, als1, starts_in=10)

    run()

    assert mail.outbox == []
    digest = ManagerDigest.objects.get(manager=boss)
    assert (digest.status, digest.skipped_reason) == ("skipped", "nobody needs action")


def test_a_department_manager_and_a_trust_manager_each_get_their_own_with_only_their_members(
    trust, emergency, critical_care, als1
):
    require_course(trust, als1)
    trust_boss, ed_boss = manager(trust), manager(emergency)
    in_ed, in_ccu = member(emergency, email="ed.nurse@example.org"), member(critical_care, email="ccu@example.org")
    for person in (in_ed, in_ccu):
        certify(person, als1, expires_in=-10)

    run()

    [to_trust], [to_ed] = digests_to(trust_boss), digests_to(ed_boss)
    assert in_ed.email in to_trust.body and in_ccu.email in to_trust.body
    assert in_ed.email in to_ed.body and in_ccu.email not in to_ed.body
    assert ManagerDigest.objects.count() == 2


def test_the_digest_never_lists_a_member_of_an_organisation_the_manager_does_not_manage(team, elsewhere, als1):
    boss, _ = team
    require_course(elsewhere, als1)
    stranger = member(elsewhere, email="stranger@example.org")
    certify(stranger, als1, expires_in=-5)

    run()

    [message] = digests_to(boss)
    assert stranger.email not in message.body
    assert stranger.email not in message.alternatives[0][0]


def test_a_second_run_in_the_same_period_sends_nothing_and_the_next_period_sends_again(team):
    boss, _ = team

    run()
    run(today=TODAY + datetime.timedelta(days=3))
    assert len(digests_to(boss)) == 1
    run(today=NEXT_WEEK)

    assert len(digests_to(boss)) == 2
    assert sorted(ManagerDigest.objects.values_list("period_start", flat=True)) == [TODAY, NEXT_WEEK]


def test_weekly_periods_start_on_mondays_and_their_length_is_a_portal_setting(team):
    assert TODAY.weekday() == 0
    assert period_start(TODAY + datetime.timedelta(days=6), 7) == TODAY
    set_portal_settings(manager_digest_days=14)

    run()

    assert ManagerDigest.objects.get().period_start == period_start(TODAY, 14)


def test_a_missed_first_day_is_caught_up_by_the_next_days_run(team):
    boss, _ = team

    run(today=TODAY + datetime.timedelta(days=2))

    assert len(digests_to(boss)) == 1
    assert ManagerDigest.objects.get().period_start == TODAY


def test_the_email_offers_one_click_unsubscribe_which_stops_the_digest(client, team):
    boss, _ = team
    run()
    [message] = digests_to(boss)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.search(r"<https?://[^/>]+(/[^>]+)>", message.extra_headers["List-Unsubscribe"]).group(1)

    assert client.post(url).status_code == 200
    run(today=NEXT_WEEK)

    boss.refresh_from_db()
    assert boss.wants_manager_digest is False
    assert len(digests_to(boss)) == 1
    assert not Suppression.objects.exists()  # the manager's own reminders go on


def test_a_manager_who_turned_the_digest_off_before_it_was_sent_gets_none(team):
    boss, _ = team
    now = at(TODAY)
    run_manager_digests(today=TODAY, now=now, dispatch=lambda pk: None)  # queued, not yet sent
    boss.wants_manager_digest = False
    boss.save()

    delivery = deliver_to_manager(boss.pk, today=TODAY, now=now)

    assert (delivery.sent, delivery.skipped) == (0, 1)
    assert ManagerDigest.objects.get().skipped_reason == "the manager turned digests off"


def test_the_preferences_page_offers_the_digest_switch_to_managers_only(client, team):
    boss, lapsing = team
    client.force_login(lapsing)
    assert "wants_manager_digest" not in client.get("/portal/preferences/").content.decode()

    client.force_login(boss)
    response = client.post("/portal/preferences/", {"wants_reminders": "on", "wants_guideline_updates": "on"})

    assert response.status_code == 302
    boss.refresh_from_db()
    assert boss.wants_manager_digest is False


# --- Through the ESP ------------------------------------------------------------------------------------------


def test_a_transient_error_is_retried_and_the_digest_sent_once(postmark, team):
    boss, _ = team
    postmark.expect_ordered_request("/email", method="POST").respond_with_response(Response("down", status=503))
    postmark.expect_ordered_request("/email", method="POST").respond_with_handler(accepted("pm-digest"))

    with pytest.raises(TransientSendError):
        run()
    assert ManagerDigest.objects.get().status == "pending"
    deliver_to_manager(boss.pk, today=TODAY, now=at(TODAY) + datetime.timedelta(minutes=2))
    deliver_to_manager(boss.pk, today=TODAY, now=at(TODAY) + datetime.timedelta(minutes=3))

    assert len(postmark.log) == 2
    digest = ManagerDigest.objects.get()
    assert (digest.status, digest.message_id, digest.attempts) == ("sent", "pm-digest", 2)
    sent = json.loads(postmark.log[1][0].data)
    assert sent["Metadata"] == {"digests": str(digest.pk)}
    assert {h["Name"]: h["Value"] for h in sent["Headers"]}["Message-ID"] == f"<digest.{digest.pk}@localhost>"


def test_a_hard_bounce_marks_the_digest_and_suppresses_the_managers_next_ones(
    postmark, team, client, webhook_secret, processed
):
    boss, _ = team
    postmark.expect_oneshot_request("/email", method="POST").respond_with_handler(accepted("pm-digest-1"))
    run()

    processed(client, bounce(message_id="pm-digest-1", email=boss.email))
    run(today=NEXT_WEEK)

    first, second = ManagerDigest.objects.order_by("period_start")
    assert first.status == "bounced"
    assert Suppression.objects.get().email == boss.email
    assert (second.status, second.skipped_reason) == ("skipped", "the address bounced or complained")
    assert len(postmark.log) == 1


def test_a_delivery_event_carrying_the_digests_metadata_settles_an_uncertain_digest(
    team, client, webhook_secret, processed
):
    boss, _ = team
    run_manager_digests(today=TODAY, now=at(TODAY), dispatch=lambda pk: None)
    digest = ManagerDigest.objects.get()
    ManagerDigest.objects.filter(pk=digest.pk).update(status="uncertain", uncertain_since=at(TODAY))
    event = {
        "RecordType": "Delivery",
        "MessageID": "pm-late-answer",
        "Recipient": boss.email,
        "DeliveredAt": "2026-06-15T07:01:00Z",
        "Details": "",
        "Metadata": {"digests": str(digest.pk)},
        "MessageStream": "outbound",
    }

    processed(client, event)

    digest.refresh_from_db()
    assert (digest.status, digest.message_id) == ("delivered", "pm-late-answer")


def test_the_drain_dispatches_a_digest_whose_task_was_lost(team):
    boss, _ = team
    run_manager_digests(today=TODAY, now=at(TODAY), dispatch=lambda pk: None)  # the task is lost with the broker

    soon = drain(today=TODAY, now=at(TODAY) + datetime.timedelta(minutes=1))
    later = drain(today=TODAY, now=at(TODAY) + datetime.timedelta(minutes=10))

    assert soon.digests_dispatched == []  # its task may still come
    assert later.digests_dispatched == [boss.pk]


def test_a_claim_whose_worker_died_makes_the_digest_uncertain_not_sent_again(team):
    boss, _ = team
    run_manager_digests(today=TODAY, now=at(TODAY), dispatch=lambda pk: None)
    ManagerDigest.objects.update(status="sending", claimed_at=at(TODAY))

    drained = drain(today=TODAY, now=at(TODAY, hour=9))
    deliver_to_manager(boss.pk, today=TODAY, now=at(TODAY, hour=9))

    assert drained.uncertain == 1
    assert ManagerDigest.objects.get().status == "uncertain"
    assert mail.outbox == []


# --- Two runs at once, on PostgreSQL --------------------------------------------------------------------------


def test_two_concurrent_runs_send_each_manager_exactly_one_digest(committed_db, postmark, catalogue_with_course):
    require(connection.vendor == "postgresql", "concurrent digest runs are tested on PostgreSQL (DATABASE_URL)")
    course = catalogue_with_course
    managers = []
    for _ in range(4):
        organisation = OrganisationFactory()
        require_course(organisation, course)
        managers.append(manager(organisation))
        certify(member(organisation), course, expires_in=-3)
    postmark.expect_request("/email", method="POST").respond_with_handler(accepted())

    _, errors = at_once(run, run)

    assert errors == []
    recipients = sorted(json.loads(request.data)["To"] for request, _ in postmark.log)
    assert recipients == sorted(boss.email for boss in managers)
    assert ManagerDigest.objects.filter(status="sent").count() == 4


def test_administrators_see_the_digests_and_their_story_under_the_reminders_menu(admin_client, team):
    boss, _ = team
    run()
    digest = ManagerDigest.objects.get()

    listing = admin_client.get("/admin/manager_digests/")
    inspected = admin_client.get(f"/admin/manager_digests/inspect/{digest.pk}/")

    assert listing.status_code == 200 and boss.email in listing.content.decode()
    assert inspected.status_code == 200 and "accepted by the ESP" in inspected.content.decode()


def test_send_manager_digests_runs_the_period_by_hand(team, mailoutbox):
    from django.core.management import call_command

    boss, _ = team

    call_command("send_manager_digests", "--today", TODAY.isoformat())
    call_command("send_manager_digests", "--today", TODAY.isoformat())

    assert [message.to for message in mailoutbox] == [[boss.email]]
