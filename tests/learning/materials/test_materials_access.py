"""Who may read participant materials, through every way in: the page, an alias of it, its PDF, its images,
search, the sitemap; and the cache headers of restricted responses. A single leak is the worst failure."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.test import Client
from wagtail.documents import get_document_model
from wagtail.models import Collection, PageViewRestriction

from home.models import HomePage
from learning.models import Booking, CoursePage, ManualPage, PublicCollection
from tests.factories import UserFactory, make_course_date
from tests.learning.conftest import SECRET_WORD, holding, today

pytestmark = pytest.mark.django_db


def who(kind, als1, als2):
    grace = 90
    if kind == "anonymous":
        return None
    if kind == "no certification":
        return UserFactory()
    if kind == "ALS1 current":
        return holding(als1)
    if kind == "ALS2 current":
        return holding(als2)
    if kind == "expired inside the grace period":
        return holding(als1, expired_days_ago=grace - 1)
    if kind == "grace ended yesterday":
        return holding(als1, expired_days_ago=grace + 1)
    if kind == "revoked":
        return holding(als1, revoked=True)
    if kind == "booked on an upcoming date":
        person = UserFactory()
        Booking.objects.create(
            course_date=make_course_date(als1, starts_in_days=20), participant=person, status="confirmed"
        )
        return person
    if kind == "staff":
        person = UserFactory()
        person.groups.add(Group.objects.get(name="Editors"))
        return person
    raise AssertionError(kind)


KINDS = {
    "anonymous": "sign-in",
    "no certification": "refused",
    "ALS1 current": "allowed",
    "ALS2 current": "allowed",  # ALS2 builds on ALS1
    "expired inside the grace period": "allowed",
    "grace ended yesterday": "refused",
    "revoked": "refused",
    "booked on an upcoming date": "allowed",
    "staff": "allowed",
}


def expect(response, outcome):
    if outcome == "allowed":
        assert response.status_code == 200
    elif outcome == "refused":
        assert response.status_code == 403
    else:
        assert response.status_code == 302 and response.url.startswith("/accounts/login/?next=")


def private(response):
    control = response.headers.get("Cache-Control", "")
    return "private" in control and "no-store" in control


@pytest.fixture
def signed_in(client, als1, als2):
    def sign_in(kind):
        person = who(kind, als1, als2)
        if person is not None:
            client.force_login(person)  # the session is opened before the request, as for a returning user
        return client

    return sign_in


@pytest.mark.parametrize(("kind", "outcome"), KINDS.items())
def test_the_page(signed_in, manual, kind, outcome):
    response = signed_in(kind).get(manual.url)

    expect(response, outcome)
    if outcome != "sign-in":
        assert private(response)
    if outcome != "allowed":
        assert SECRET_WORD not in response.content.decode()


@pytest.mark.parametrize(("kind", "outcome"), KINDS.items())
def test_an_alias_of_the_page_elsewhere_in_the_tree(signed_in, manual, kind, outcome):
    alias = manual.create_alias(parent=HomePage.objects.get(), update_slug="manual-alias")

    response = signed_in(kind).get(alias.url)

    expect(response, outcome)
    assert private(response)


@pytest.mark.parametrize(("kind", "outcome"), KINDS.items())
def test_its_pdf(signed_in, manual, kind, outcome):
    response = signed_in(kind).get(manual.document.url)

    expect(response, outcome)
    assert private(response) or response.status_code == 403
    if outcome == "allowed":
        assert b"".join(response.streaming_content).startswith(b"%PDF")


@pytest.mark.parametrize(("kind", "outcome"), KINDS.items())
def test_its_images(signed_in, manual, kind, outcome):
    url = f"/materials/{manual.pk}/images/{manual.image.pk}/width-400/"

    response = signed_in(kind).get(url)

    expect(response, outcome)
    if outcome == "allowed":
        assert private(response)
        assert b"".join(response.streaming_content)[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(("kind", "outcome"), KINDS.items())
def test_search_for_a_word_only_the_private_page_contains(signed_in, manual, kind, outcome):
    response = signed_in(kind).get(f"/search/?q={SECRET_WORD}")

    html = response.content.decode()
    if outcome == "allowed":
        assert manual.title in html and manual.url in html
    else:
        assert manual.title not in html and manual.url not in html
        assert f"About {SECRET_WORD}" not in html  # no snippet either


@pytest.mark.parametrize(("kind", "outcome"), KINDS.items())
def test_the_sitemap_never_lists_it(signed_in, manual, library, kind, outcome):
    response = signed_in(kind).get("/sitemap.xml")

    xml = response.content.decode()
    assert response.status_code == 200
    assert "/materials/" not in xml
    assert "<loc>" in xml  # the public pages are there


def test_the_document_file_is_not_served_from_a_public_path(client, manual):
    client.force_login(holding(manual.courses.first()))

    assert client.get(manual.document.file.url).status_code == 404
    assert client.get(manual.image.file.url).status_code == 404


def test_an_image_of_another_page_is_not_served_through_this_one(client, manual, library, als2, collection):
    other = ManualPage(title="ALS2 manual")
    library.add_child(instance=other)
    other.courses.set([als2])
    other.save_revision().publish()
    client.force_login(holding(als2))  # may read the ALS2 manual, and ALS1's (ALS2 builds on it)

    response = client.get(f"/materials/{other.pk}/images/{manual.image.pk}/width-400/")

    assert response.status_code == 404


def test_a_certification_that_expired_yesterday_ends_a_live_session(client, manual, settings, als1):
    settings.MATERIALS_GRACE_DAYS = 0
    person = holding(als1)
    client.force_login(person)
    assert client.get(manual.url).status_code == 200
    person.certifications.update(expires_on=today() - datetime.timedelta(days=1))

    assert client.get(manual.url).status_code == 403


@pytest.mark.parametrize("held", ["als1", "als2"])  # the manual's own course, or one that builds on it
def test_a_revoked_certification_ends_access_on_the_next_request(client, manual, request, held):
    from learning.register.services import certification_revoke

    person = holding(request.getfixturevalue(held))
    client.force_login(person)
    assert client.get(manual.url).status_code == 200
    assert client.get(manual.document.url).status_code == 200

    certification_revoke(certification=person.certifications.get(), reason="Misconduct")

    assert client.get(manual.url).status_code == 403  # the same session, the same process (closure cached)
    assert client.get(manual.document.url).status_code == 403


# --- The page's Privacy setting in the admin stands above the courses -----------------------------------


def faculty_only(page):
    """Privacy > "Private, accessible to users in specific groups": a group that is not staff."""
    faculty, _ = Group.objects.get_or_create(name="Faculty")
    restriction = PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.GROUPS)
    restriction.groups.set([faculty])
    return faculty


def every_way_in(client, manual, library) -> dict[str, bool]:
    """Whether the reader gets at the manual through each way in: its PDF, its image, an alias, the library,
    My materials and search."""
    alias = manual.create_alias(parent=HomePage.objects.get(), update_slug="manual-alias")
    image = client.get(f"/materials/{manual.pk}/images/{manual.image.pk}/width-400/")
    return {
        "pdf": client.get(manual.document.url).status_code == 200,
        "image": image.status_code == 200,
        "alias": client.get(alias.url).status_code == 200,
        "library": manual.title in client.get(library.url).content.decode(),
        "my materials": manual.title in client.get("/portal/").content.decode(),
        "search": manual.title in client.get(f"/search/?q={SECRET_WORD}").content.decode(),
    }


@pytest.mark.parametrize("restricted", ["the page", "the library above it"])
def test_a_page_private_to_some_groups_is_closed_to_entitled_readers_outside_them(
    client, manual, library, als1, restricted
):
    faculty_only(manual if restricted == "the page" else library)
    client.force_login(holding(als1))

    assert every_way_in(client, manual, library) == dict.fromkeys(
        ["pdf", "image", "alias", "library", "my materials", "search"], False
    )
    # The site's 403 page, not Wagtail's redirect to the sign-in, which sent a signed-in reader straight back
    refused = client.get(manual.url, follow=True)
    assert refused.status_code == 403 and refused.redirect_chain == []


def test_a_signed_in_reader_outside_the_groups_of_any_page_is_refused_not_sent_round_the_sign_in(client, als1):
    course = CoursePage.objects.get(pk=als1.pk)
    faculty_only(course)
    client.force_login(holding(als1))

    refused = client.get(course.url, follow=True)
    anonymous = Client().get(course.url)

    assert refused.status_code == 403 and refused.redirect_chain == []
    assert "private to some groups" not in refused.content.decode()  # the site's page, not the exception's text
    assert anonymous.status_code == 302 and anonymous.url.startswith("/accounts/login/")


def test_a_document_in_a_collection_private_to_some_groups_is_refused_to_those_signed_in_outside_them(
    client, manual, als1
):
    from wagtail.models import CollectionViewRestriction

    faculty, _ = Group.objects.get_or_create(name="Faculty")
    restriction = CollectionViewRestriction.objects.create(
        collection=manual.document.collection, restriction_type=CollectionViewRestriction.GROUPS
    )
    restriction.groups.set([faculty])
    reader = holding(als1)
    client.force_login(reader)

    refused = client.get(manual.document.url, follow=True)
    reader.groups.add(faculty)
    admitted = client.get(manual.document.url)

    assert refused.status_code == 403 and refused.redirect_chain == []
    assert admitted.status_code == 200
    assert Client().get(manual.document.url).status_code == 302


def test_staff_outside_the_groups_are_kept_out_as_well(client, manual, library):
    faculty_only(manual)
    staff = UserFactory()
    staff.groups.add(Group.objects.get(name="Editors"))
    client.force_login(staff)

    assert not any(every_way_in(client, manual, library).values())


def test_entitled_members_of_the_groups_read_it_every_way_in(client, manual, library, als1):
    faculty = faculty_only(manual)
    reader = holding(als1)
    reader.groups.add(faculty)
    client.force_login(reader)

    assert all(every_way_in(client, manual, library).values())
    assert client.get(manual.url).status_code == 200


def test_the_groups_do_not_stand_in_for_the_courses(client, manual, library):
    faculty = faculty_only(manual)
    member_only = UserFactory()
    member_only.groups.add(faculty)
    client.force_login(member_only)

    assert client.get(manual.url).status_code == 403
    assert not any(every_way_in(client, manual, library).values())


def test_a_page_behind_a_password_is_closed_until_the_password_is_given(client, manual, library, als1):
    restriction = PageViewRestriction.objects.create(
        page=manual, restriction_type=PageViewRestriction.PASSWORD, password="faculty-2026"
    )
    client.force_login(holding(als1))

    assert client.get(manual.document.url).status_code == 403
    client.post(
        f"/_util/authenticate_with_password/{restriction.pk}/{manual.pk}/",
        {"password": "faculty-2026", "return_url": manual.url},
    )
    assert client.get(manual.document.url).status_code == 200


def test_the_refusal_page_says_which_course_to_book(client, manual, als1):
    client.force_login(UserFactory())

    html = client.get(manual.url).content.decode()

    assert "This material is for course participants" in html
    assert f'href="{als1.url}#dates">Book ALS1</a>' in html


def test_the_library_lists_only_what_the_reader_may_read(client, manual, library, als2):
    other = ManualPage(title="ALS2-only manual")
    library.add_child(instance=other)
    other.courses.set([als2])
    other.save_revision().publish()
    client.force_login(holding(manual.courses.first()))

    html = client.get(library.url).content.decode()

    assert "ALS1 manual" in html and "ALS2-only manual" not in html


def test_wagtail_api_and_feeds_are_not_exposed(client, manual):
    assert client.get("/api/v2/pages/").status_code == 404
    assert client.get("/feed/").status_code == 404


def test_the_pdf_of_an_unpublished_material_page_is_not_served(client, manual, als1):
    manual.unpublish()
    client.force_login(holding(als1))

    assert client.get(manual.document.url).status_code == 403


def test_a_document_in_a_collection_marked_public_is_public(client, db):
    public = Collection.get_first_root_node().add_child(name="Public downloads")
    PublicCollection.objects.create(collection=public)
    inside = public.add_child(name="Brochures")
    document = get_document_model()(title="Course brochure", collection=inside)
    document.file.save("brochure.pdf", ContentFile(b"%PDF-1.4\n% brochure\n"))

    response = client.get(document.url)

    assert response.status_code == 200
    assert "private" not in response.headers.get("Cache-Control", "")


def test_a_resource_page_shows_its_chapters_like_a_manual(client, library, als1):
    from learning.models import ResourcePage

    resource = ResourcePage(
        title="Leadership guide",
        chapters=[
            {
                "type": "chapter",
                "value": {
                    "heading": "Closed-loop communication",
                    "body": [{"type": "text", "value": "<p>Repeat the instruction back.</p>"}],
                },
            },
        ],
    )
    library.add_child(instance=resource)
    resource.courses.set([als1])
    resource.save_revision().publish()
    client.force_login(holding(als1))

    html = client.get(resource.url).content.decode()

    assert "Closed-loop communication" in html and "Repeat the instruction back." in html


def test_the_prerequisite_closure_is_read_once_and_forgotten_when_a_course_is_published(db, als1, als2):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from learning.materials.entitlement import builds_on

    assert builds_on() == {als2.pk: {als1.pk}}
    with CaptureQueriesContext(connection) as queries:
        builds_on()
    assert len(queries) == 0  # kept by the process

    als2.prerequisites.all().delete()
    als2.save_revision().publish()

    assert builds_on() == {}


def test_staff_are_recognised_in_one_query(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from learning.materials.entitlement import is_staff

    editor = UserFactory()
    editor.groups.add(Group.objects.get(name="Editors"))
    participant = UserFactory()

    with CaptureQueriesContext(connection) as queries:
        assert is_staff(editor) is True
        assert is_staff(participant) is False
    assert len(queries) == 2  # one each


def test_an_entitled_participant_is_let_in_without_a_staff_query(client, manual, als1):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(holding(als1))
    client.get(manual.url)

    with CaptureQueriesContext(connection) as queries:
        assert client.get(manual.url).status_code == 200
    assert not [query for query in queries if "auth_permission" in query["sql"]]


def test_a_material_page_costs_one_query_more_than_a_public_page_at_the_same_depth(client, library, als1, als2):
    """The access check's one statement (the page's courses, which the page also lists; the reader's certifications
    and bookings; the grace period; whether they opened the page since it was published). The documents come from
    the cache with the text. No staff query, and nothing that grows with the reader's record."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import ContinuingEducationOfferPageFactory

    private = ManualPage(title="ALS1 manual")
    library.add_child(instance=private)
    private.courses.set([als1])
    private.save_revision().publish()
    public = ContinuingEducationOfferPageFactory(title="Airway skills refresher")
    person = holding(als2)  # ALS2 builds on ALS1
    for starts_in_days in (20, 40):
        course_date = make_course_date(als1, starts_in_days=starts_in_days)
        Booking.objects.create(course_date=course_date, participant=person, status="confirmed")
    client.force_login(person)
    counts = []
    for page in (private, public):
        client.get(page.url)  # the first opening records the reading
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page.url).status_code == 200
        counts.append([query["sql"][:200] for query in queries.captured_queries])

    assert private.depth == public.depth
    assert len(counts[0]) - len(counts[1]) == 1, "\n".join(counts[0])
