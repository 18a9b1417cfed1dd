"""Guideline update notifications, the editorial workflow, My materials, and constant query counts."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, PageViewRestriction

from learning.models import GuidelineNotification, GuidelineUpdatePage, ManualPage
from tests.factories import BookingFactory, CertificationFactory, UserFactory, make_course_date
from tests.learning.materials.test_materials_access import holding

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_tasks():
    from portal.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def new_update(library, course, title="Compression depth clarified", live=True):
    page = GuidelineUpdatePage(
        title=title,
        summary="A short summary.",
        what_changed="<p>Depth 5 to 6 cm.</p>",
        effective_on=timezone.localdate(),
        live=live,
    )
    library.add_child(instance=page)
    page.courses.set([course])
    return page


def test_the_first_publication_emails_each_entitled_participant_once(
    library, als1, als2, eager_tasks, django_capture_on_commit_callbacks
):
    als1_holder = holding(als1, email="one@example.org")
    als2_holder = holding(als2, email="two@example.org")  # ALS2 builds on ALS1
    in_grace = holding(als1, email="grace@example.org", expired_days_ago=3)  # still reads the materials
    booked = UserFactory(email="booked@example.org")
    BookingFactory(participant=booked, course_date=make_course_date(als1), status="confirmed")
    no_reminders = holding(als1, email="noreminders@example.org", wants_reminders=False)
    holding(als1, email="optedout@example.org", wants_guideline_updates=False)
    holding(als1, email="expired@example.org", expired_days_ago=91)  # past the 90 days' grace
    UserFactory(email="none@example.org")
    page = new_update(library, als1)

    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()

    entitled = [als1_holder, als2_holder, in_grace, booked, no_reminders]
    assert sorted(message.to[0] for message in mail.outbox) == sorted(person.email for person in entitled)
    assert mail.outbox[0].subject == "Guideline update for ALS1: Compression depth clarified"
    assert GuidelineNotification.objects.filter(page=page, status="sent").count() == len(entitled)

    mail.outbox.clear()
    page.title = "Compression depth clarified (typo fixed)"
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()

    assert mail.outbox == []


@pytest.mark.parametrize("privacy", ["groups", "password"])
def test_an_update_behind_a_privacy_setting_is_emailed_only_to_those_it_admits(
    library, als1, eager_tasks, django_capture_on_commit_callbacks, privacy
):
    faculty = Group.objects.create(name="Faculty")
    member = holding(als1, email="faculty@example.org")
    member.groups.add(faculty)
    holding(als1, email="outside@example.org")
    page = new_update(library, als1, live=False)
    restriction = PageViewRestriction.objects.create(page=page, restriction_type=privacy, password="faculty-2026")
    restriction.groups.set([faculty])

    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()

    # A password is asked on each visit: nobody is emailed a page they would first have to be given it for.
    expected = ["faculty@example.org"] if privacy == "groups" else []
    assert [message.to[0] for message in mail.outbox] == expected


def test_an_update_under_two_group_restrictions_is_emailed_to_whoever_passes_both_through_different_groups(
    library, als1, eager_tasks, django_capture_on_commit_callbacks
):
    faculty, officers = Group.objects.create(name="Faculty"), Group.objects.create(name="Resuscitation officers")
    both = holding(als1, email="both@example.org")
    both.groups.add(faculty, officers)
    holding(als1, email="faculty-only@example.org").groups.add(faculty)
    page = new_update(library, als1, live=False)
    for restricted, group in ((library, faculty), (page, officers)):
        restriction = PageViewRestriction.objects.create(page=restricted, restriction_type="groups")
        restriction.groups.set([group])

    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()

    assert [message.to[0] for message in mail.outbox] == ["both@example.org"]


def copy_and_publish(admin_client, page, library):
    """The admin's Copy of `page` into the library, slug "copied-update", with "Publish copies" ticked."""
    return admin_client.post(
        f"/admin/pages/{page.pk}/copy/",
        {"new_title": "Copy", "new_slug": "copied-update", "new_parent_page": library.pk, "publish_copies": "on"},
    )


def test_a_copy_published_by_the_admin_emails_nobody_and_the_next_update_is_still_emailed(
    admin_client, library, als1, eager_tasks, django_capture_on_commit_callbacks
):
    holding(als1, email="one@example.org")
    page = new_update(library, als1, live=False)
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = copy_and_publish(admin_client, page, library)
    copied = GuidelineUpdatePage.objects.get(slug="copied-update")
    later = new_update(library, als1, title="Airway update", live=False)
    with django_capture_on_commit_callbacks(execute=True):
        later.save_revision().publish()

    assert response.status_code == 302 and copied.live
    assert [message.subject for message in mail.outbox] == ["Guideline update for ALS1: Airway update"]
    assert not GuidelineNotification.objects.filter(page=copied).exists()


def test_a_copy_published_by_the_admin_and_later_published_again_emails_nobody(
    admin_client, library, als1, eager_tasks, django_capture_on_commit_callbacks
):
    holding(als1, email="one@example.org")
    page = new_update(library, als1, live=False)
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
        copy_and_publish(admin_client, page, library)
    mail.outbox.clear()
    copied = GuidelineUpdatePage.objects.get(slug="copied-update")
    copied.title = "Copy, typo fixed"

    with django_capture_on_commit_callbacks(execute=True):
        copied.save_revision().publish()

    assert mail.outbox == []


def test_an_alias_of_an_update_emails_nobody_when_its_original_is_published_again(
    library, als1, eager_tasks, django_capture_on_commit_callbacks
):
    from home.models import HomePage

    holding(als1, email="one@example.org")
    page = new_update(library, als1, live=False)
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
        page.create_alias(parent=HomePage.objects.get(), update_slug="update-alias")
    mail.outbox.clear()
    page = GuidelineUpdatePage.objects.get(pk=page.pk)
    page.title = "Compression depth clarified (typo fixed)"

    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()

    assert mail.outbox == []


def test_running_the_notification_twice_sends_nothing_twice(library, als1):
    from reminders.guideline_notifications import notify_guideline_update

    holding(als1, email="one@example.org")
    page = new_update(library, als1)
    page.save_revision().publish()
    mail.outbox.clear()

    notify_guideline_update(page.pk, now=timezone.now())
    notify_guideline_update(page.pk, now=timezone.now())

    assert [message.to for message in mail.outbox] == [["one@example.org"]]


def test_editors_submit_and_moderators_approve(client, library, als1):
    editor = UserFactory(email="ed@example.org")
    editor.groups.add(Group.objects.get(name="Editors"))
    moderator = UserFactory(email="mo@example.org")
    moderator.groups.add(Group.objects.get(name="Moderators"))
    page = new_update(library, als1, title="Draft update", live=False)
    page.save_revision(user=editor)

    workflow = page.get_workflow()
    assert workflow is not None and workflow.name == "Moderators approval"
    workflow.start(page, editor)
    page.refresh_from_db()
    state = page.current_workflow_state
    assert state.status == "in_progress" and not page.live
    assert not GuidelineUpdatePage.objects.live().exists()

    client.force_login(moderator)
    task_state = state.current_task_state
    url = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "approve", task_state.pk])
    response = client.post(url, {"comment": ""})

    assert response.status_code in (200, 302)
    page.refresh_from_db()
    assert page.live
    assert page.live_revision.user == editor  # what went live is the editor's revision, kept in the history


def test_scheduled_publishing_goes_live_at_its_time(library, als1):
    from django.core.management import call_command

    page = new_update(library, als1, title="Scheduled update")
    page.unpublish()
    revision = page.save_revision(approved_go_live_at=timezone.now() - datetime.timedelta(minutes=1))
    page.go_live_at = revision.approved_go_live_at
    page.save()

    call_command("publish_scheduled", verbosity=0)

    assert Page.objects.get(pk=page.pk).live


def test_my_materials_groups_by_course_and_marks_new_and_updated(client, library, als1, als2):
    person = holding(als2)
    older = ManualPage(title="ALS1 manual")
    library.add_child(instance=older)
    older.courses.set([als1])
    older.save_revision().publish()
    client.force_login(person)
    client.get("/portal/")  # the first visit
    newer = ManualPage(title="ALS2 manual, new")
    library.add_child(instance=newer)
    newer.courses.set([als2])
    newer.save_revision().publish()

    html = client.get("/portal/").content.decode()

    assert 'data-testid="materials-ALS1"' in html and 'data-testid="materials-ALS2"' in html
    assert html.count('data-testid="new-material"') == 1
    assert "ALS2 manual, new</a>" in html.split('data-testid="new-material"')[0][-400:]


def query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_material_page_and_library_run_a_constant_number_of_queries(client, library, als1, als2):
    person = holding(als1)
    first = ManualPage(title="Manual 0")
    library.add_child(instance=first)
    first.courses.set([als1, als2])
    first.save_revision().publish()
    client.force_login(person)
    query_count(client, first.url)
    query_count(client, library.url)
    page_queries, library_queries = query_count(client, first.url), query_count(client, library.url)

    for n in range(1, 12):
        extra = ManualPage(title=f"Manual {n}")
        library.add_child(instance=extra)
        extra.courses.set([als1, als2])
        extra.save_revision().publish()
        CertificationFactory(participant=person, course=als1 if n % 2 else als2)

    assert query_count(client, first.url) == page_queries
    assert query_count(client, library.url) == library_queries


def test_a_guideline_update_email_unsubscribes_from_updates_only_in_one_click(
    client, library, als1, django_capture_on_commit_callbacks
):
    person = holding(als1, email="one@example.org")
    page = new_update(library, als1)
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()

    (message,) = mail.outbox
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    one_click = message.extra_headers["List-Unsubscribe"].split(">")[0].removeprefix("<")
    assert "/guideline-updates/unsubscribe/" in one_click
    assert one_click in message.body

    path = one_click.removeprefix("http://localhost:8000")
    assert client.get(path).status_code == 200  # a mail scanner's GET changes nothing
    person.refresh_from_db()
    assert person.wants_guideline_updates
    assert client.post(path).status_code == 200
    person.refresh_from_db()
    assert (person.wants_guideline_updates, person.wants_reminders) == (False, True)


def test_a_reminder_unsubscribe_link_cannot_stop_guideline_updates(client, db):
    from reminders.emails import unsubscribe_token

    person = UserFactory()

    response = client.post(f"/guideline-updates/unsubscribe/{unsubscribe_token(person, 'reminders')}/")

    assert response.status_code == 400
    person.refresh_from_db()
    assert person.wants_guideline_updates


def test_participants_choose_reminders_and_guideline_updates_separately(client, db):
    person = UserFactory()
    client.force_login(person)

    client.post("/portal/preferences/", {"wants_reminders": "on"})

    person.refresh_from_db()
    assert (person.wants_reminders, person.wants_guideline_updates) == (True, False)
    html = client.get("/portal/preferences/").content.decode()
    assert "Email me about guideline updates" in html


def publish_manual(library, course, title):
    page = ManualPage(title=title)
    library.add_child(instance=page)
    page.courses.set([course])
    page.save_revision().publish()
    return page


BADGE = re.compile(r'>([^<>]+)</a> <span class="badge badge--renewed">[^<]*</span> <span[^>]*new-material">(\w+)<')


def badges(html: str) -> list[tuple[str, str]]:
    """(title, badge) of each marked material of a page."""
    return BADGE.findall(html)


def test_a_new_badge_stays_until_the_material_itself_is_opened(client, library, als1):
    person = holding(als1)
    client.force_login(person)
    client.get("/portal/")  # the first look: what is already published starts read
    manual = publish_manual(library, als1, "Airway manual")

    assert badges(client.get("/portal/").content.decode()) == [("Airway manual", "New")]
    assert badges(client.get("/portal/").content.decode()) == [("Airway manual", "New")]  # visits do not clear it
    assert badges(client.get(library.url).content.decode()) == [("Airway manual", "New")]  # the library shows it too

    assert client.get(manual.url).status_code == 200
    assert badges(client.get("/portal/").content.decode()) == []


def test_a_material_published_again_after_it_was_read_is_marked_updated(client, library, als1):
    person = holding(als1)
    client.force_login(person)
    client.get("/portal/")
    manual = publish_manual(library, als1, "Airway manual")
    client.get(manual.url)

    manual.title = "Airway manual (2026)"
    manual.save_revision().publish()

    assert badges(client.get("/portal/").content.decode()) == [("Airway manual (2026)", "Updated")]
    assert badges(client.get(library.url).content.decode()) == [("Airway manual (2026)", "Updated")]


def test_opening_a_page_again_writes_nothing_until_it_is_published_again(client, library, als1):
    from learning.models import MaterialReading

    person = holding(als1)
    client.force_login(person)
    manual = publish_manual(library, als1, "Airway manual")
    client.get(manual.url)
    first = MaterialReading.objects.get(participant=person, page=manual).read_at

    with CaptureQueriesContext(connection) as queries:
        assert client.get(manual.url).status_code == 200
    assert not [query for query in queries if query["sql"].startswith(("INSERT", "UPDATE"))]
    assert MaterialReading.objects.get(participant=person, page=manual).read_at == first

    manual.save_revision().publish()
    client.get(manual.url)

    assert MaterialReading.objects.get(participant=person, page=manual).read_at > first


def test_a_refused_page_is_not_recorded_as_read(client, library, als1, als2):
    person = holding(als1)
    client.force_login(person)
    other = publish_manual(library, als2, "ALS2 manual")

    assert client.get(other.url).status_code == 403

    from learning.models import MaterialReading

    assert not MaterialReading.objects.filter(participant=person).exists()


def test_an_attachment_titled_with_its_format_does_not_say_it_twice(client, library, als1):
    from tests.factories import make_manual

    manual = make_manual(library, [als1], title="ALS1 manual")
    attachment = manual.attachments.get()
    attachment.title = "ALS1 manual (PDF)"
    attachment.save()
    client.force_login(holding(als1))

    html = client.get(manual.url).content.decode()

    assert "ALS1 manual (PDF)</a>" in html
    assert "(PDF)</a> <span" not in html


def test_a_course_added_to_a_published_update_tells_that_course_and_nobody_twice(
    library, als1, als2, eager_tasks, django_capture_on_commit_callbacks
):
    holding(als1, email="als1@example.org")
    holding(als2, email="als2@example.org")  # entitled through both courses: ALS2 builds on ALS1
    page = new_update(library, als2, live=False)
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    first = [message.to[0] for message in mail.outbox]
    mail.outbox.clear()

    page = GuidelineUpdatePage.objects.get(pk=page.pk)  # as the admin's edit screen reads it
    page.courses.add(als1)  # the editor adds ALS1 and publishes again
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()
    added = [message.to[0] for message in mail.outbox]
    mail.outbox.clear()
    page = GuidelineUpdatePage.objects.get(pk=page.pk)
    page.title = "Compression depth clarified (typo fixed)"
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()

    assert first == ["als2@example.org"]
    assert added == ["als1@example.org"]
    assert mail.outbox == []


def test_updates_published_before_announcements_were_recorded_count_as_announced_to_their_courses(
    library, als1, eager_tasks, django_capture_on_commit_callbacks
):
    """The migration that began recording announcements: an update published before it, published again, emails
    nobody who was entitled when it first went out."""
    import importlib

    from django.apps import apps

    from learning.models import GuidelineAnnouncement

    page = new_update(library, als1, live=False)
    page.save_revision().publish()  # no task ran: as before the migration
    GuidelineAnnouncement.objects.all().delete()
    holding(als1, email="one@example.org")
    migration = importlib.import_module("learning.migrations.0027_guideline_announcements")

    migration.record_published_updates(apps, None)
    page = GuidelineUpdatePage.objects.get(pk=page.pk)
    with django_capture_on_commit_callbacks(execute=True):
        page.save_revision().publish()

    assert list(GuidelineAnnouncement.objects.values_list("course_id", flat=True)) == [als1.pk]
    assert mail.outbox == []
