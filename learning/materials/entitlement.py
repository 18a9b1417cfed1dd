"""Who may read which participant materials and documents. One answer per kind of thing, used by every way in:
the page itself (and its aliases), its documents and images, the library and My materials, and site search.

A participant may read a material page when it serves a course for which they hold a certification that is not
revoked and has not been expired for longer than the grace period (Settings > Portal settings), or a course that builds
on it (ALS2 holders read ALS1 materials), or when they are booked on an upcoming date of one of its courses.
Staff (anyone with access to the Wagtail admin) read everything. The answer is computed per request from the
dates, never cached in the session, so a certification that lapsed yesterday stops access today.

Above the courses stands the page's Privacy setting in the admin (Wagtail's view restrictions: a password, signed-in
users, or some groups), on the page, on a page above it or, for an alias, on the page it copies. What it does not
admit is closed to everyone, staff and entitled participants alike, in every way in: the page, its documents and
images, the lists, search and the guideline-update emails.
"""

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import Permission
from django.contrib.auth.views import redirect_to_login
from django.db.models import Q
from django.shortcuts import render, resolve_url
from django.utils import timezone
from django.utils.cache import patch_cache_control
from wagtail.models import PageViewRestriction

from learning.catalogue.models import CoursePage
from learning.catalogue.selectors import builds_on
from learning.materials.facts import Facts, read_facts

ALL = "all"


def is_staff(user) -> bool:
    """Whether the user may use the Wagtail admin (and so reads everything): one query, where `has_perm` would
    load all of the user's and their groups' permissions in two."""
    if not user.is_active:
        return False
    if user.is_superuser:
        return True
    if not hasattr(user, "_may_use_admin"):
        user._may_use_admin = (
            Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin")
            .filter(Q(user=user) | Q(group__user=user))
            .exists()
        )
    return user._may_use_admin


def entitled_course_ids(user, today: datetime.date | None = None) -> set[int] | str:
    """The courses whose materials `user` may read today, or ALL for staff."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if is_staff(user):
        return ALL
    return participant_course_ids(user, today or timezone.localdate())


def participant_course_ids(user, today: datetime.date, facts: Facts | None = None) -> set[int]:
    """The courses `user` may read as a participant, staff or not: those they hold a certification for (in force,
    or expired inside the grace period) and those these build on, and those they are booked on. One query, or
    none when the caller read the user's `facts` already."""
    if not user.is_authenticated or not user.is_active:
        return set()
    if facts is None:
        facts = read_facts(user.pk, today)
    courses = set(facts.booked)
    for course_id in facts.held_on(today):
        courses.add(course_id)
        courses |= builds_on().get(course_id, set())
    return courses


def courses_for(request) -> set[int] | str:
    """entitled_course_ids for the request's user, computed once per request."""
    if not hasattr(request, "_entitled_course_ids"):
        request._entitled_course_ids = ALL if is_staff(request.user) else participant_courses_for(request)
    return request._entitled_course_ids


def participant_courses_for(request) -> set[int]:
    """participant_course_ids for the request's user, computed once per request."""
    if not hasattr(request, "_participant_course_ids"):
        request._participant_course_ids = participant_course_ids(request.user, timezone.localdate())
    return request._participant_course_ids


def restrictions_over(page) -> list[PageViewRestriction]:
    """The Privacy settings that stand over the page: on it, above it, and over the page an alias copies."""
    pages = [page, page.alias_of] if page.alias_of_id else [page]
    return [restriction for each in pages for restriction in each.get_view_restrictions()]


def admitted_users(page) -> Q:
    """The users the page's Privacy setting admits, as a filter of users, for what is sent without a request (a
    guideline update's email): everyone, only members of each restriction's groups (superusers too, as Wagtail
    has it), or nobody for a page behind a password. Each restriction is its own subquery, so that a user may
    pass two restrictions through two different groups."""
    admitted = Q()
    for restriction in restrictions_over(page):
        if restriction.restriction_type == PageViewRestriction.PASSWORD:
            return Q(pk__in=[])
        if restriction.restriction_type == PageViewRestriction.GROUPS:
            members = restriction.groups.values("user")
            admitted &= Q(is_superuser=True) | Q(pk__in=members)
    return admitted


@dataclass
class Access:
    allowed: bool
    courses: list = field(default_factory=list)  # the page's courses: what to book when not allowed
    course_codes: list[str] = field(default_factory=list)  # the page's courses, by code, when allowed
    opened: bool = False  # the reader opened the page since it was last published


def can_read(request, page) -> Access:
    """The one question: may the request's signed-in user read this material page? The page's courses, the
    reader's record and whether a Privacy setting stands over the page come back in one query
    (learning.materials.facts); the setting is asked only then. A participant entitled to one of its courses is
    let in before anyone asks whether they are staff, so that the common case costs no staff query."""
    today, user = timezone.localdate(), request.user
    facts = read_facts(user.pk, today, page)
    if facts.restricted and not admitted(request, page):
        return Access(allowed=False)
    request._participant_course_ids = participant_course_ids(user, today, facts)
    if facts.serves.keys() & request._participant_course_ids or is_staff(user):
        return Access(allowed=True, course_codes=sorted(facts.serves.values()), opened=facts.opened)
    return Access(allowed=False, courses=list(CoursePage.objects.filter(pk__in=facts.serves).order_by("code")))


def sends_to_sign_in(response) -> bool:
    """Whether `response` redirects to the site's sign-in (as Wagtail's Privacy check answers): for someone signed
    in already, a loop (see the on_serve_page hook in learning.wagtail_hooks)."""
    if response.status_code not in (301, 302):
        return False
    return urlsplit(response["Location"]).path == resolve_url(settings.WAGTAIL_FRONTEND_LOGIN_URL)


def admitted(request, page) -> bool:
    """Whether the page's Privacy setting (on it or above it, or on the page an alias copies) admits the request."""
    return all(restriction.accept_request(request) for restriction in restrictions_over(page))


def closed_to(request) -> Q:
    """The pages the Privacy settings close to the request: those under a restriction it does not pass, and the
    aliases of such pages (a filter of pages; one query, and one more for each restriction to some groups)."""
    closed = Q(pk__in=[])
    for restriction in PageViewRestriction.objects.select_related("page"):
        if not restriction.accept_request(request):
            closed |= Q(path__startswith=restriction.page.path) | Q(alias_of__path__startswith=restriction.page.path)
    return closed


def readable_pages(request, pages):
    """Those of `pages` (live material pages) the request's user may read: a queryset. The caller passes the
    pages, so that the page models can use this module without a cycle."""
    entitled = courses_for(request)
    pages = pages.exclude(closed_to(request))
    if entitled == ALL:
        return pages
    return pages.filter(courses__in=entitled).distinct()


def readable_materials(request, pages):
    """My materials: [(course, [pages])], grouped by the courses the request's user may read; `pages` are the live
    material pages (passed in, as for readable_pages)."""
    entitled = entitled_course_ids(request.user)
    courses = CoursePage.objects.all() if entitled == ALL else CoursePage.objects.filter(pk__in=entitled)
    courses = list(courses.order_by("code"))
    pages = (
        pages.exclude(closed_to(request))
        .filter(courses__in=[course.pk for course in courses])
        .distinct()
        .prefetch_related("courses")
        .order_by("-last_published_at")
        .specific()
    )
    by_course = {course.pk: [] for course in courses}
    for page in pages:
        for course in page.courses.all():
            if course.pk in by_course:
                by_course[course.pk].append(page)
    return [(course, by_course[course.pk]) for course in courses if by_course[course.pk]]


def private_response(response):
    """Restricted content must never be kept by a shared cache or the browser's back-forward cache."""
    patch_cache_control(response, private=True, no_store=True, no_cache=True, max_age=0)
    response.headers.pop("Expires", None)
    return response


def require_sign_in(request):
    return private_response(redirect_to_login(request.get_full_path()))


def access_denied(request, page, access: Access):
    # Only the title and the courses: no `page` in the context, so nothing else of it (description, meta tags)
    # can reach the response through the base template.
    response = render(
        request,
        "learning/material_forbidden.html",
        {"material_title": page.title, "courses": access.courses},
        status=403,
    )
    return private_response(response)
