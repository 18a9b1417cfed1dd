"""Reads of the catalogue that other parts of the portal build on: which courses build on which."""

import time

from learning.catalogue.models import CoursePrerequisite

# The prerequisite closure changes only when an editor publishes a course: each process keeps it for a while
# rather than reading it on every request, and drops it when a course is published or unpublished here. Another
# process sees such a change within CLOSURE_SECONDS.
CLOSURE_SECONDS = 60
_closure_cache: dict = {}


def forget_builds_on(**kwargs) -> None:
    _closure_cache.clear()


def builds_on() -> dict[int, set[int]]:
    """course id -> the course ids it requires, directly or through others (ALS2 -> {ALS1}); cached per process
    for CLOSURE_SECONDS (see forget_builds_on)."""
    cached = _closure_cache.get("closure")
    if cached is not None and time.monotonic() - cached[0] < CLOSURE_SECONDS:
        return cached[1]
    closure = read_builds_on()
    _closure_cache["closure"] = (time.monotonic(), closure)
    return closure


def read_builds_on() -> dict[int, set[int]]:
    """The closure, from the database."""
    direct: dict[int, set[int]] = {}
    for course_id, prerequisite_id in CoursePrerequisite.objects.filter(prerequisite__isnull=False).values_list(
        "course_id", "prerequisite_id"
    ):
        direct.setdefault(course_id, set()).add(prerequisite_id)
    closure = {}
    for course_id in direct:
        seen, stack = set(), list(direct[course_id])
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(direct.get(current, ()))
        closure[course_id] = seen
    return closure


def satisfied_by(course_ids, closure: dict[int, set[int]]) -> dict[int, set[int]]:
    """course id -> the courses whose certification stands for it: itself and every course that builds on it
    (ALS1 -> {ALS1, ALS2}), for each of `course_ids`; `closure` is what builds_on() returned."""
    return {
        course_id: {course_id} | {other for other, required in closure.items() if course_id in required}
        for course_id in course_ids
    }
