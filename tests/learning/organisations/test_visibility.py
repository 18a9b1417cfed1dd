"""Who sees whom: the manager of a trust sees the members of the trust and its departments, the manager of a
department only that department's, and nobody else (another organisation's manager, a participant, an anonymous
visitor, staff without the role) sees any member, on My team, in its export, on a member's page, in a digest, on
the group booking form, or in a group booking and its invoice; nobody books a member of an organisation they do
not manage."""

import pytest
from django.utils import timezone

from learning.models import Booking, ManagerRole
from tests.factories import ContinuingEducationActivityFactory, UserFactory, make_course_date
from tests.learning.organisations.helpers import book_group, certify, exported_rows, manager, member, require

pytestmark = pytest.mark.django_db

MEMBERS = ("in_trust", "in_emergency", "in_critical_care", "elsewhere")
# viewer -> the members they see
SEES = {
    "trust manager": {"in_trust", "in_emergency", "in_critical_care"},
    "emergency manager": {"in_emergency"},
    "manager elsewhere": {"elsewhere"},
    "participant": set(),
    "staff": set(),
}


@pytest.fixture
def world(trust, emergency, critical_care, elsewhere, als1):
    """A member in each organisation, each holding ALS1, and a viewer of each kind."""
    require(trust, als1)
    require(elsewhere, als1)
    today = timezone.localdate()
    people = {
        "in_trust": member(trust, email="in.trust@example.org"),
        "in_emergency": member(emergency, email="in.emergency@example.org"),
        "in_critical_care": member(critical_care, email="in.critical.care@example.org"),
        "elsewhere": member(elsewhere, email="elsewhere@example.org"),
    }
    for person in people.values():
        certify(person, als1, expires_in=200, today=today)
    viewers = {
        "trust manager": manager(trust),
        "emergency manager": manager(emergency),
        "manager elsewhere": manager(elsewhere),
        # a member of the department, like the others, but nobody's manager
        "participant": people["in_emergency"],
        "staff": UserFactory(is_staff=True, is_superuser=True),
    }
    return people, viewers


def sign_in(client, viewers, viewer):
    if viewer != "anonymous":
        client.force_login(viewers[viewer])


@pytest.mark.parametrize("url", ["/portal/team/", "/portal/team/export.csv", "/portal/team/export.xlsx"])
@pytest.mark.parametrize("viewer", [*SEES, "anonymous"])
def test_my_team_and_its_export_hold_exactly_the_members_the_viewer_manages(client, world, viewer, url):
    people, viewers = world
    sign_in(client, viewers, viewer)

    response = client.get(url)

    if viewer == "anonymous":
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
        return
    body = response.content.decode() if not response.streaming else str(exported_rows(response))
    assert {name for name, person in people.items() if person.email in body} == SEES[viewer]
    assert response.status_code == (200 if SEES[viewer] else 403)


@pytest.mark.parametrize("viewer", [*SEES, "anonymous"])
@pytest.mark.parametrize("name", MEMBERS)
def test_a_members_page_opens_only_for_their_managers(client, world, viewer, name):
    people, viewers = world
    sign_in(client, viewers, viewer)

    response = client.get(f"/portal/team/members/{people[name].pk}/")

    if viewer == "anonymous":
        assert response.status_code == 302
    elif name in SEES[viewer]:
        assert response.status_code == 200
        assert people[name].email in response.content.decode()
    else:
        assert response.status_code == 404
        assert people[name].email not in response.content.decode()


def test_a_page_of_a_user_who_belongs_to_no_organisation_is_not_found(client, world):
    _, viewers = world
    client.force_login(viewers["trust manager"])

    assert client.get(f"/portal/team/members/{UserFactory().pk}/").status_code == 404


def test_the_team_pages_are_private_and_never_stored(client, world):
    people, viewers = world
    client.force_login(viewers["trust manager"])

    for url in (
        "/portal/team/",
        "/portal/team/export.csv",
        "/portal/team/export.xlsx",
        f"/portal/team/members/{people['in_trust'].pk}/",
    ):
        cache_control = client.get(url)["Cache-Control"]
        assert "private" in cache_control and "no-store" in cache_control


def test_a_role_taken_away_ends_the_view_at_once(client, world):
    people, viewers = world
    client.force_login(viewers["emergency manager"])
    assert client.get("/portal/team/").status_code == 200

    ManagerRole.objects.filter(user=viewers["emergency manager"]).delete()

    assert client.get("/portal/team/").status_code == 403
    assert client.get(f"/portal/team/members/{people['in_emergency'].pk}/").status_code == 404


def test_an_inactive_manager_sees_nobody(client, world):
    people, viewers = world
    boss = viewers["trust manager"]
    client.force_login(boss)
    boss.is_active = False
    boss.save()

    response = client.get("/portal/team/")

    assert people["in_trust"].email not in response.content.decode()


def test_a_member_the_office_deactivated_is_nobodys_to_see_or_book(client, world, emergency, als1):
    people, viewers = world
    gone = people["in_emergency"]
    gone.is_active = False
    gone.save()
    client.force_login(viewers["trust manager"])

    pages = [client.get(url) for url in ("/portal/team/", "/portal/team/export.csv")]
    member_page = client.get(f"/portal/team/members/{gone.pk}/")
    booking = client.post(
        "/portal/team/group-bookings/new/",
        {
            "participants": [gone.pk],
            "organisation": emergency.pk,
            "course_date": make_course_date(als1, starts_in_days=30).pk,
            "purchase_order": "PO-1",
            "seating": "all",
        },
    )

    bodies = [pages[0].content.decode(), str(exported_rows(pages[1]))]
    assert all(people["in_trust"].email in body and gone.email not in body for body in bodies)
    assert member_page.status_code == 404
    assert booking.status_code == 400 and not Booking.objects.exists()  # not among the members the form offers


def test_a_member_page_shows_certifications_and_bookings_never_continuing_education(client, world):
    people, viewers = world
    nurse = people["in_emergency"]
    ContinuingEducationActivityFactory(participant=nurse, title="Private reflective log")
    client.force_login(viewers["emergency manager"])

    html = client.get(f"/portal/team/members/{nurse.pk}/").content.decode()

    assert nurse.certifications.get().number in html
    assert "Private reflective log" not in html
    assert "evidence" not in html.lower()


def test_the_filters_offer_only_the_managers_own_organisations(client, world, elsewhere):
    people, viewers = world
    client.force_login(viewers["emergency manager"])

    response = client.get(f"/portal/team/?organisation={elsewhere.pk}")

    html = response.content.decode()
    assert elsewhere.name not in html
    assert people["elsewhere"].email not in html
    assert people["in_emergency"].email in html  # the invalid choice filters nothing of the manager's own


@pytest.mark.parametrize("viewer", SEES)
def test_the_digest_lists_exactly_the_members_the_viewer_manages(world, viewer, trust, elsewhere, als2, mailoutbox):
    from reminders.digests import deliver_to_manager, run_manager_digests

    people, viewers = world
    require(trust, als2)  # nobody holds it: every member needs action
    require(elsewhere, als2)
    today, now = timezone.localdate(), timezone.now()

    run_manager_digests(today=today, now=now, dispatch=lambda pk: deliver_to_manager(pk, today=today, now=now))

    bodies = "".join(
        message.body + message.alternatives[0][0] for message in mailoutbox if message.to == [viewers[viewer].email]
    )
    assert {name for name, person in people.items() if person.email in bodies} == SEES[viewer]


# --- Group bookings -------------------------------------------------------------------------------------

# viewer -> whether they see the emergency department's group booking (made by its manager)
SEES_GROUP_BOOKING = {"trust manager", "emergency manager"}
GROUP_BOOKING_PAGES = {
    "page": "/portal/team/group-bookings/{pk}/",
    "invoice": "/portal/team/group-bookings/{pk}/invoice.pdf",
    "list": "/portal/team/group-bookings/",
}


@pytest.fixture
def group_booking(world, emergency, als1):
    people, viewers = world
    return book_group(
        viewers["emergency manager"],
        emergency,
        make_course_date(als1, starts_in_days=30),
        [people["in_emergency"]],
        purchase_order="PO-VISIBLE-1",
        now=timezone.now(),
    )


@pytest.mark.parametrize("page", GROUP_BOOKING_PAGES)
@pytest.mark.parametrize("viewer", [*SEES, "anonymous"])
def test_a_group_booking_and_its_invoice_open_only_for_the_managers_of_its_organisation(
    client, world, group_booking, viewer, page
):
    people, viewers = world
    sign_in(client, viewers, viewer)

    response = client.get(GROUP_BOOKING_PAGES[page].format(pk=group_booking.pk))

    if viewer == "anonymous":
        assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    elif viewer in SEES_GROUP_BOOKING:
        assert response.status_code == 200
        assert page == "invoice" or "PO-VISIBLE-1" in response.content.decode()
    else:
        # Another manager is told it does not exist (their own list leaves it out); someone who manages nothing
        # is told so.
        if viewer == "manager elsewhere":
            assert response.status_code == (200 if page == "list" else 404)
        else:
            assert response.status_code == 403
        assert response["Content-Type"].startswith("text/html")
        assert "PO-VISIBLE-1" not in response.content.decode()
        assert people["in_emergency"].email not in response.content.decode()


@pytest.mark.parametrize("viewer", SEES)
def test_the_group_booking_form_offers_exactly_the_members_the_viewer_manages(client, world, viewer):
    people, viewers = world
    sign_in(client, viewers, viewer)

    response = client.get("/portal/team/group-bookings/new/", {"participants": [p.pk for p in people.values()]})

    body = response.content.decode()
    offered = {name for name, person in people.items() if f'name="participants" value="{person.pk}"' in body}
    assert offered == SEES[viewer]


@pytest.mark.parametrize("viewer", [*SEES, "anonymous"])
def test_nobody_books_a_member_of_an_organisation_they_do_not_manage(client, world, emergency, als1, viewer):
    people, viewers = world
    sign_in(client, viewers, viewer)

    response = client.post(
        "/portal/team/group-bookings/new/",
        {
            "participants": [person.pk for person in people.values()],
            "organisation": emergency.pk,
            "course_date": make_course_date(als1, starts_in_days=30).pk,
            "purchase_order": "PO-1",
            "seating": "all",
        },
    )

    assert response.status_code in (302, 400, 403)
    assert not Booking.objects.exists()
