"""Factories for the tests: realistic objects with the fewest lines in each test."""

import datetime
from functools import cache

import factory
from django.contrib.auth.hashers import make_password

from learning.models import User
from learning.register.services import add_months


def local_today() -> datetime.date:
    from django.utils import timezone

    return timezone.localdate()


PASSWORD = "correct-horse-battery-staple"


@cache
def password_hash() -> str:
    # Argon2 is deliberately slow: hash the shared test password once, not once per user.
    return make_password(PASSWORD)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"participant{n}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.LazyFunction(password_hash)


def make_course(catalogue, code: str, *, validity_months: int = 24, prerequisites=(), **fields):
    """A live course page under `catalogue`, with its prerequisite courses linked."""
    from learning.models import CoursePage, CoursePrerequisite

    page = CoursePage(
        title=f"{code} course",
        slug=code.lower(),
        code=code,
        validity_months=validity_months,
        max_participants_per_instructor=fields.pop("max_participants_per_instructor", 6),
        **fields,
    )
    page.prerequisites = [CoursePrerequisite(prerequisite=course, code=course.code) for course in prerequisites]
    catalogue.add_child(instance=page)
    page.save_revision().publish()
    return CoursePage.objects.get(pk=page.pk)


def make_manual(library, courses, *, title: str = "Course manual", text: str = "<p>The manual.</p>"):
    """A live manual page for `courses` under `library`, with one chapter and a PDF attached (as `.document`)."""
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model
    from wagtail.models import Collection

    from learning.models import ManualPage, MaterialDocument

    root = Collection.get_first_root_node()
    collection = root.get_children().filter(name="Course materials").first() or root.add_child(name="Course materials")
    document = get_document_model()(title=f"{title} PDF", collection=collection)
    document.file.save("manual.pdf", ContentFile(b"%PDF-1.4\n% the manual\n"))
    page = ManualPage(
        title=title,
        chapters=[{"type": "chapter", "value": {"heading": "Chapter 1", "body": [{"type": "text", "value": text}]}}],
    )
    library.add_child(instance=page)
    page.courses.set(courses)
    page.attachments = [MaterialDocument(document=document)]
    page.save_revision().publish()
    page = ManualPage.objects.get(pk=page.pk)
    page.document = document
    return page


def default_course():
    """A course for tests that do not care which: BLS under the catalogue (both made when missing)."""
    from home.models import HomePage
    from learning.models import CourseIndexPage, CoursePage

    existing = CoursePage.objects.filter(code="BLS").first()
    if existing:
        return existing
    catalogue = CourseIndexPage.objects.first()
    if catalogue is None:
        catalogue = CourseIndexPage(title="Courses", slug="courses")
        HomePage.objects.get().add_child(instance=catalogue)
    return make_course(catalogue, "BLS", validity_months=12)


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "learning.Certification"

    participant = factory.SubFactory(UserFactory)
    course = factory.LazyFunction(default_course)
    number = factory.Sequence(lambda n: f"TEST-{n:06d}")
    # Issued a month before the local today unless a test names the dates; expiry follows from the issue date, so
    # the two never come from different clocks.
    issued_on = factory.LazyFunction(lambda: local_today() - datetime.timedelta(days=30))
    expires_on = factory.LazyAttribute(lambda o: add_months(o.issued_on, 24))


def make_course_date(course, *, starts_in_days: int = 30, today=None, instructors: int = 1, days: int = 1, **fields):
    """A course date `starts_in_days` after `today` (a test that works on a fixed day passes it; others get the
    local today)."""
    from learning.models import CourseDate

    starts_on = (today or local_today()) + datetime.timedelta(days=starts_in_days)
    return CourseDate.objects.create(
        course=course,
        starts_on=starts_on,
        ends_on=starts_on + datetime.timedelta(days=days - 1),
        venue=fields.pop("venue", "Training Centre"),
        instructors=instructors,
        **fields,
    )


class CourseDateFactory(factory.django.DjangoModelFactory):
    """A one-day date of the default course, a month after the local today."""

    class Meta:
        model = "learning.CourseDate"

    course = factory.LazyFunction(default_course)
    starts_on = factory.LazyFunction(lambda: local_today() + datetime.timedelta(days=30))
    ends_on = factory.LazyAttribute(lambda o: o.starts_on)
    venue = "Training Centre"


def model_factory(model: str, base=factory.django.DjangoModelFactory, **declarations):
    """A factory of `model` ("app.Model") rows with `declarations`, written as one call where a class would only
    repeat the Meta boilerplate."""
    meta = type("Meta", (), {"model": model})
    return type(f"{model.split('.')[1]}Factory", (base,), {"Meta": meta, **declarations})


# A confirmed place on a course date a month ahead.
BookingFactory = model_factory(
    "learning.Booking",
    course_date=factory.SubFactory(CourseDateFactory),
    participant=factory.SubFactory(UserFactory),
    status="confirmed",
)


class ContinuingEducationActivityFactory(factory.django.DjangoModelFactory):
    """An activity completed ten days ago, waiting for review."""

    class Meta:
        model = "learning.ContinuingEducationActivity"

    participant = factory.SubFactory(UserFactory)
    title = "Paediatric resuscitation update"
    provider = "Hospital education team"
    completed_on = factory.LazyFunction(lambda: local_today() - datetime.timedelta(days=10))
    credits = 3


class ReminderStageFactory(factory.django.DjangoModelFactory):
    """A stage far from the standard ones, so it never takes their unique distance from expiry."""

    class Meta:
        model = "reminders.ReminderStage"

    name = factory.Sequence(lambda n: f"Test stage {n}")
    days_from_expiry = factory.Sequence(lambda n: -1000 - n)
    subject = "Your {course} certification expires on {date}"
    opening = "Your {course} certification expires in {days_text}."


class ReminderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reminders.Reminder"

    certification = factory.SubFactory(CertificationFactory)
    stage = factory.SubFactory(ReminderStageFactory)
    due_on = factory.LazyAttribute(
        lambda o: o.certification.expires_on + datetime.timedelta(days=o.stage.days_from_expiry)
    )


class SuppressionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "reminders.Suppression"

    email = factory.Sequence(lambda n: f"suppressed{n}@example.org")
    reason = "bounced"


def new_collection(n: int):
    from wagtail.models import Collection

    return Collection.get_first_root_node().add_child(name=f"Public collection {n}")


class PublicCollectionFactory(factory.django.DjangoModelFactory):
    """A new collection under the root, marked public."""

    class Meta:
        model = "learning.PublicCollection"

    collection = factory.Sequence(new_collection)
    reason = "Course flyers"


def default_guideline_update():
    """A live guideline update for the default course, under the library (both made when missing)."""
    from home.models import HomePage
    from learning.models import GuidelineUpdatePage, LibraryIndexPage

    library = LibraryIndexPage.objects.first()
    if library is None:
        library = LibraryIndexPage(title="Course materials", slug="materials")
        HomePage.objects.get().add_child(instance=library)
        library.save_revision().publish()
    page = GuidelineUpdatePage(
        title="Guideline update", effective_on=local_today(), what_changed="<p>What changed.</p>"
    )
    library.add_child(instance=page)
    page.courses.set([default_course()])
    page.save_revision().publish()
    return GuidelineUpdatePage.objects.get(pk=page.pk)


class GuidelineNotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "learning.GuidelineNotification"

    page = factory.LazyFunction(default_guideline_update)
    participant = factory.SubFactory(UserFactory)
    status = "pending"  # claimed and sent by reminders.guideline_notifications


class TrackingEventFactory(factory.django.DjangoModelFactory):
    """A delivery event as the ESP reports it, for a message the outbox knows of or not."""

    class Meta:
        model = "reminders.TrackingEvent"

    event_id = factory.Sequence(lambda n: f"event-{n}")
    event_type = "delivered"
    message_id = factory.Sequence(lambda n: f"pm-{n}")
    recipient = factory.Sequence(lambda n: f"recipient{n}@example.org")


def set_portal_settings(**fields):
    """The portal's one settings row (Settings > Portal settings) with `fields` changed, as an administrator would."""
    from learning.common.models import PortalSettings

    row = PortalSettings.load()
    for name, value in fields.items():
        setattr(row, name, value)
    row.full_clean()
    row.save()
    return row


# --- Pages: each factory publishes a live page under the parent its type expects ------------------------------


def home_page():
    from home.models import HomePage

    return HomePage.objects.get()  # made by a migration: the one root of the site


def first_or_new(page_factory):
    """The first live page of the factory's type, or a new one: the usual parent of the pages below it."""
    model = page_factory._meta.get_model_class()
    return model.objects.first() or page_factory()


class PageFactory(factory.django.DjangoModelFactory):
    """A live page with a title and slug of its own, added under `parent` and published."""

    class Meta:
        abstract = True

    parent = factory.LazyFunction(home_page)
    title = factory.Sequence(lambda n: f"Page {n}")
    slug = ""  # from the title

    @classmethod
    def _create(cls, model_class, *args, parent, courses=(), **fields):
        from django.utils.text import slugify

        fields["slug"] = fields.get("slug") or slugify(fields["title"])
        page = model_class(**fields)
        parent.add_child(instance=page)
        if courses:
            page.courses.set(courses)
        page.save_revision().publish()
        return model_class.objects.get(pk=page.pk)


def page_factory(model: str, base=PageFactory, **declarations):
    """A factory of `model` ("app.Model") pages, titled after the model ("ManualPage 3"), under `base`'s parent
    unless `declarations` say otherwise."""
    name = model.split(".")[1]
    return model_factory(model, base, **{"title": factory.Sequence(lambda n: f"{name} {n}"), **declarations})


def under_first(index_factory):
    return factory.LazyFunction(lambda: first_or_new(index_factory))


StandardPageFactory = page_factory("home.StandardPage")
CourseIndexPageFactory = page_factory("learning.CourseIndexPage")
CoursePageFactory = page_factory(
    "learning.CoursePage",
    parent=under_first(CourseIndexPageFactory),
    code=factory.Sequence(lambda n: f"C{n}"),
    title=factory.LazyAttribute(lambda o: f"{o.code} course"),
    validity_months=24,
    max_participants_per_instructor=6,
)


class CoursePrerequisiteFactory(factory.django.DjangoModelFactory):
    """A course that needs another one current: saved as a published revision of the course would save it."""

    class Meta:
        model = "learning.CoursePrerequisite"

    course = factory.SubFactory(CoursePageFactory)
    prerequisite = factory.SubFactory(CoursePageFactory)
    code = factory.LazyAttribute(lambda o: o.prerequisite.code)


ContinuingEducationIndexPageFactory = page_factory("learning.ContinuingEducationIndexPage")
ContinuingEducationOfferPageFactory = page_factory(
    "learning.ContinuingEducationOfferPage",
    parent=under_first(ContinuingEducationIndexPageFactory),
    held_on=factory.LazyFunction(lambda: local_today() + datetime.timedelta(days=45)),
    credits=2,
)
LibraryIndexPageFactory = page_factory("learning.LibraryIndexPage")


class MaterialPageFactory(PageFactory):
    """A material for the default course, in the library."""

    class Meta:
        abstract = True

    parent = under_first(LibraryIndexPageFactory)
    courses = factory.LazyFunction(lambda: [default_course()])


ManualPageFactory = page_factory("learning.ManualPage", MaterialPageFactory)
CaseStudyPageFactory = page_factory(
    "learning.CaseStudyPage", MaterialPageFactory, scenario="<p>A 64-year-old collapses on the ward.</p>"
)
GuidelineUpdatePageFactory = page_factory(
    "learning.GuidelineUpdatePage",
    MaterialPageFactory,
    effective_on=factory.LazyFunction(local_today),
    what_changed="<p>What changed.</p>",
)
ResourcePageFactory = page_factory("learning.ResourcePage", MaterialPageFactory)


def new_document():
    from django.core.files.base import ContentFile
    from wagtail.documents import get_document_model

    document = get_document_model()(title="Course manual PDF")
    document.file.save("manual.pdf", ContentFile(b"%PDF-1.4\n% a manual\n"))
    return document


class MaterialDocumentFactory(factory.django.DjangoModelFactory):
    """A PDF attached to a manual."""

    class Meta:
        model = "learning.MaterialDocument"

    page = factory.SubFactory(ManualPageFactory)
    document = factory.LazyFunction(new_document)


class OrganisationFactory(factory.django.DjangoModelFactory):
    """An employer in its own right; pass `parent` for a department."""

    class Meta:
        model = "learning.Organisation"

    name = factory.Sequence(lambda n: f"Hospital {n}")


def organisation_row_factory(model: str, **declarations):
    """A factory of `model` ("Membership") rows of a new organisation, with `declarations` for the rest."""
    meta = type("Meta", (), {"model": f"learning.{model}"})
    organisation = factory.SubFactory(OrganisationFactory)
    return type(
        f"{model}Factory",
        (factory.django.DjangoModelFactory,),
        {"Meta": meta, "organisation": organisation, **declarations},
    )


MembershipFactory = organisation_row_factory("Membership", participant=factory.SubFactory(UserFactory))
ManagerRoleFactory = organisation_row_factory("ManagerRole", user=factory.SubFactory(UserFactory))
RequiredCourseFactory = organisation_row_factory("RequiredCourse", course=factory.LazyFunction(default_course))
