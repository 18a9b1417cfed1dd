"""`import_hugo` turns the provider's Hugo course pages into course pages: typed facts, one block per section,
nothing of the text lost, idempotent, prerequisites linked in any order, malformed files refused whole."""

import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import Page, Revision

from learning.catalogue.hugo import Heading, heading, plain
from learning.models import CoursePage
from tests.learning.conftest import ALS1_MD, ALS2_MD

pytestmark = pytest.mark.django_db


def import_hugo(*paths, **options) -> str:
    from io import StringIO

    out, err = StringIO(), StringIO()
    call_command("import_hugo", *[str(path) for path in paths], stdout=out, stderr=err, **options)
    return out.getvalue() + err.getvalue()


class TextOf(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts, self.skipping = [], 0

    def handle_starttag(self, tag, attrs):
        self.skipping += tag in ("script", "style", "head")

    def handle_endtag(self, tag):
        self.skipping -= tag in ("script", "style", "head")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def page_text(html: str) -> str:
    parser = TextOf()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


# What the import says differently on purpose: a placeholder the static page left unfilled.
REWORDED = {"[Contact for current pricing]": "Contact us for the fee"}


def source_fragments(path: Path) -> list[str]:
    """Every heading, bullet and sentence of the body as plain text, split at colons (label: value), as the page
    should say it (REWORDED)."""
    text = path.read_text()
    body = text.split("+++", 2)[2]
    fragments = []
    for line in body.splitlines():
        line = line.strip()
        if not line or re.fullmatch(r"-{3,}", line):
            continue
        line = re.sub(r"^(#{1,6}\s+|[-*+]\s+|\d+[.)]\s+)", "", line)
        for fragment in plain(line).split(":"):
            if fragment.strip():
                fragment = " ".join(fragment.split())
                fragments.append(REWORDED.get(fragment, fragment))
    return fragments


def test_als2_facts_are_typed(catalogue):
    import_hugo(ALS1_MD, ALS2_MD)

    als2 = CoursePage.objects.get(code="ALS2")
    assert als2.title == "ALS2 (Advanced)"
    assert als2.long_title == "ALS2 (Advanced Advanced Life Support)"
    assert als2.duration_days == 3
    assert als2.duration_hours == Decimal("24")
    assert als2.validity_months == 24
    assert als2.max_participants_per_instructor == 6
    assert [course.code for course in als2.prerequisite_courses()] == ["ALS1"]
    assert als2.written_exam_pass_mark == 85
    assert als2.attendance_required == 100
    assert als2.fee_text == ""  # the page's "[Contact for current pricing]" is a placeholder, not a fee
    assert als2.booking_url == ""  # the portal books on the course page itself
    assert als2.contact_url == "/contact/"
    assert als2.summary == "Advanced Advanced Life Support training for experienced healthcare professionals"
    assert als2.get_parent().specific == catalogue


def test_als2_sections_land_in_their_block_types(catalogue):
    import_hugo(ALS2_MD)

    body = CoursePage.objects.get(code="ALS2").body
    assert [(block.block_type, block.value["heading"]) for block in body] == [
        ("section", "Course Overview"),
        ("audience", "Who Should Attend"),
        ("prerequisites", "Prerequisites"),
        ("programme", "Course Content"),
        ("objectives", "Learning Objectives"),
        ("skills", "Advanced Skills Covered"),
        ("assessment", "Assessment Methods"),
        ("requirements", "Certification Requirements"),
        ("materials", "Advanced Course Materials"),
        ("facilities", "Equipment and Advanced Facilities"),
        ("continuing_education", "Continuing Education and Advancement"),
        ("registration", "Registration and Investment"),
    ]


def test_the_programme_is_days_of_sessions_with_hours_and_topics(catalogue):
    import_hugo(ALS2_MD)

    programme = next(b.value for b in CoursePage.objects.get(code="ALS2").body if b.block_type == "programme")
    assert [(day["label"], day["title"]) for day in programme["days"]] == [
        ("Day 1", "Advanced Airway and Breathing"),
        ("Day 2", "Advanced Cardiac Care"),
        ("Day 3", "Leadership and Complex Scenarios"),
    ]
    first_session = programme["days"][0]["sessions"][0]
    assert (first_session["name"], first_session["hours"]) == ("Morning Session", Decimal("4"))
    assert first_session["topics"][0] == "Advanced Airway Anatomy and Physiology"
    assert sum(len(day["sessions"]) for day in programme["days"]) == 6


def test_objectives_are_a_verb_and_a_sentence(catalogue):
    import_hugo(ALS2_MD)

    objectives = next(b.value for b in CoursePage.objects.get(code="ALS2").body if b.block_type == "objectives")
    assert objectives["intro"] == "Upon completion of this course, participants will be able to:"
    assert [(o["verb"], o["text"]) for o in objectives["objectives"]][:2] == [
        ("Manage", "complex airway emergencies with advanced techniques"),
        ("Interpret", "advanced cardiac monitoring and diagnostic information"),
    ]
    assert len(objectives["objectives"]) == 8


def test_registration_has_its_fee_details_and_numbered_steps(catalogue):
    import_hugo(ALS2_MD)

    registration = next(b.value for b in CoursePage.objects.get(code="ALS2").body if b.block_type == "registration")
    assert [d["name"] for d in registration["details"]] == ["Course Fee", "Includes", "Payment Options"]
    assert registration["steps_heading"] == "Registration Requirements"
    assert registration["steps"][0]["title"] == "Prerequisite Verification"
    assert len(registration["steps"]) == 5


@pytest.mark.parametrize("source", [ALS1_MD, ALS2_MD], ids=["als1", "als2"])
def test_nothing_of_the_source_text_is_lost_on_the_rendered_page(client, catalogue, source):
    import_hugo(ALS1_MD, ALS2_MD)
    code = "ALS1" if source == ALS1_MD else "ALS2"

    response = client.get(CoursePage.objects.get(code=code).url)

    assert response.status_code == 200
    text = page_text(response.content.decode())
    missing = [fragment for fragment in source_fragments(source) if fragment not in text]
    assert missing == []


def test_the_catalogue_lists_code_title_duration_validity_and_prerequisites(client, catalogue):
    import_hugo(ALS1_MD, ALS2_MD)

    text = page_text(client.get(catalogue.url).content.decode())

    assert "ALS2 ALS2 (Advanced)" in text
    assert "Duration 3 days (24 hours)" in text
    assert "Certification Valid for 2 years" in text
    assert "Prerequisites Current ALS1" in text
    assert "Duration 2 days (16 hours)" in text
    assert "Prerequisites None" in text


def test_the_command_prints_a_line_per_file_and_a_summary(catalogue):
    output = import_hugo(ALS1_MD, ALS2_MD)

    assert re.search(r"^created\s+.*als1\.md\s+->\s+ALS1", output, re.M)
    assert re.search(r"^created\s+.*als2\.md\s+->\s+ALS2", output, re.M)
    assert "2 files: 2 created, 0 updated, 0 unchanged, 0 failed" in output


def test_a_folder_imports_every_markdown_file_in_it(catalogue):
    import_hugo(ALS1_MD.parent)

    assert sorted(CoursePage.objects.values_list("code", flat=True)) == ["ALS1", "ALS2"]


def test_reimporting_an_unchanged_file_changes_nothing(catalogue):
    import_hugo(ALS2_MD)
    revisions = Revision.objects.count()

    output = import_hugo(ALS2_MD)

    assert "unchanged" in output and "1 unchanged" in output
    assert CoursePage.objects.count() == 1
    assert Revision.objects.count() == revisions


def test_reimporting_a_changed_file_updates_the_same_page_as_one_new_revision(catalogue, tmp_path):
    import_hugo(ALS2_MD)
    page = CoursePage.objects.get(code="ALS2")
    revisions = page.revisions.count()
    changed = tmp_path / "als2.md"
    changed.write_text(ALS2_MD.read_text().replace("85% minimum score", "80% minimum score"))

    output = import_hugo(changed)

    assert "updated" in output and "written_exam_pass_mark" in output
    assert CoursePage.objects.count() == 1
    page.refresh_from_db()
    assert page.written_exam_pass_mark == 80
    assert page.revisions.count() == revisions + 1
    assert page.live and not page.has_unpublished_changes


def test_the_assessments_a_course_requires_come_from_its_certification_requirements(catalogue):
    import_hugo(ALS1_MD, ALS2_MD)

    required = {
        course.code: (course.requires_practical_assessment, course.requires_scenario_assessment)
        for course in CoursePage.objects.all()
    }
    # ALS1: "Pass the practical cardiac arrest simulation"; ALS2 adds "complete complex scenario-based assessments".
    assert required == {"ALS1": (True, False), "ALS2": (True, True)}


def test_scenario_questions_in_the_written_exam_are_not_a_scenario_assessment(catalogue, tmp_path):
    changed = tmp_path / "als2.md"
    text = ALS2_MD.read_text().replace("- Successfully complete complex scenario-based assessments\n", "")
    changed.write_text(text.replace("examination (85% minimum score)", "examination of scenarios (85% minimum score)"))

    output = import_hugo(changed)

    assert "created" in output
    als2 = CoursePage.objects.get(code="ALS2")
    assert (als2.requires_practical_assessment, als2.requires_scenario_assessment) == (True, False)
    assert als2.written_exam_pass_mark == 85


def test_a_prerequisite_imported_later_in_the_same_run_is_linked(catalogue):
    import_hugo(ALS2_MD, ALS1_MD)

    als2 = CoursePage.objects.get(code="ALS2")
    assert [course.code for course in als2.prerequisite_courses()] == ["ALS1"]
    latest = als2.get_latest_revision_as_object()
    assert [link.prerequisite.code for link in latest.prerequisites.all()] == ["ALS1"]


def test_a_prerequisite_imported_in_a_later_run_is_linked(catalogue):
    import_hugo(ALS2_MD)
    assert CoursePage.objects.get(code="ALS2").prerequisite_courses() == []

    output = import_hugo(ALS1_MD)

    assert "linked as prerequisite of ALS2" in output
    assert [c.code for c in CoursePage.objects.get(code="ALS2").prerequisite_courses()] == ["ALS1"]


def database_state():
    return (
        list(Page.objects.order_by("pk").values_list("pk", "title", "latest_revision_id")),
        Revision.objects.count(),
    )


def import_hugo_failure_output(*paths, **options) -> str:
    from io import StringIO

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_hugo", *[str(p) for p in paths], stdout=out, stderr=err, **options)
    return out.getvalue() + err.getvalue() + str(raised.value)


def refused_writing_nothing(path: Path, text: str, **options) -> str:
    """Writes `text` to `path` and imports it, which must fail and leave the pages as they were; returns what the
    import said."""
    path.write_text(text)
    before = database_state()
    output = import_hugo_failure_output(path, **options)
    assert database_state() == before
    return output


def test_an_unreadable_fact_stops_the_file_naming_file_line_and_expectation(catalogue, tmp_path):
    bad = tmp_path / "bad.md"

    output = refused_writing_nothing(bad, ALS2_MD.read_text().replace("Valid for 2 years", "Valid for ever"))

    assert f"{bad}:11:" in output
    assert "1 of 1 files failed" in output
    assert "'Valid for 2 years'" in output and "'Valid for ever'" in output


@pytest.mark.parametrize(
    ("broken", "line", "expected"),
    [
        (lambda text: text.replace('title = "ALS2 (Advanced)"', 'title = "ALS2 (Advanced)'), 2, "bad TOML"),
        (lambda text: text.replace("+++", "", 1), 1, "expected front matter"),
        (lambda text: text.replace("6 per instructor", "six per instructor"), 12, "'6 per instructor'"),
        (lambda text: text.replace("3 days (24 hours)", "three days"), 9, "'3 days (24 hours)'"),
    ],
    ids=["toml", "no-front-matter", "capacity", "duration"],
)
def test_malformed_files_are_refused_with_their_line(catalogue, tmp_path, broken, line, expected):
    bad = tmp_path / "broken.md"

    output = refused_writing_nothing(bad, broken(ALS2_MD.read_text()))

    assert f"{bad}:{line}:" in output
    assert expected in output


def test_a_bad_file_stops_the_whole_run_and_the_good_files_are_not_written_either(catalogue, tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text(ALS2_MD.read_text().replace("Valid for 2 years", "Valid for ever"))
    before = database_state()

    output = import_hugo_failure_output(ALS1_MD, bad)

    assert re.search(r"^failed\s+.*bad\.md:11", output, re.M)
    assert not re.search(r"^created", output, re.M)
    assert "2 files: 1 failed; nothing was written" in output
    assert "1 of 2 files failed; nothing was imported" in output
    assert database_state() == before


def test_every_bad_file_of_a_run_is_reported(catalogue, tmp_path):
    first, second = tmp_path / "first.md", tmp_path / "second.md"
    first.write_text(ALS1_MD.read_text().replace("Valid for 2 years", "Valid for ever"))
    second.write_text(ALS2_MD.read_text().replace("6 per instructor", "six per instructor"))

    output = import_hugo_failure_output(first, second)

    assert re.search(r"^failed\s+.*first\.md:11:", output, re.M)
    assert re.search(r"^failed\s+.*second\.md:12:", output, re.M)
    assert "2 of 2 files failed" in output


def test_a_file_refused_when_it_is_written_undoes_the_files_written_before_it(catalogue, tmp_path):
    # Another page already holds ALS1's address, which is only found out when ALS1 is written, after ALS2.
    catalogue.add_child(instance=Page(title="ALS1 news", slug="als1"))
    before = database_state()

    output = import_hugo_failure_output(ALS2_MD, ALS1_MD)

    assert re.search(r"^failed\s+.*als1\.md: another page .* already has the address 'als1'", output, re.M)
    assert database_state() == before
    assert not CoursePage.objects.exists()


def test_dry_run_reports_and_writes_nothing(catalogue):
    before = database_state()

    output = import_hugo(ALS1_MD, ALS2_MD, dry_run=True)

    assert re.search(r"^would create\s+.*als2\.md\s+->\s+ALS2", output, re.M)
    assert "Dry run, nothing written" in output
    assert database_state() == before


def test_yaml_front_matter_is_read_too(catalogue, tmp_path):
    text = ALS1_MD.read_text()
    toml, body = text.split("+++", 2)[1], text.split("+++", 2)[2]
    yaml_file = tmp_path / "als1.md"
    yaml_file.write_text("---\n" + toml.replace(" = ", ": ").strip() + "\n---" + body)

    import_hugo(yaml_file)

    assert CoursePage.objects.get(code="ALS1").title == "ALS1 (Foundation)"


OTHER_COURSE = """---
title: "BLS (Basic Life Support)"
description: "Basic Life Support for every healthcare worker"
slug: bls
---

# BLS

**Certification**: Valid for 12 months
**Maximum Participants**: 10 per instructor
**Duration**: 1 day (7.5 hours)
**Prerequisites**: None

## Learning Objectives

1. **Recognise** cardiac arrest
2. **Start** chest compressions within 10 seconds

## Venue and Parking

The course runs at the *Riverside Training Centre*. See the [map](https://example.org/map).

| Car park | Spaces |
| --- | --- |
| North | 40 |

## Who Should Attend

All clinical and non-clinical staff.
"""


def test_another_course_with_other_numbers_order_and_unknown_sections(client, catalogue, tmp_path):
    source = tmp_path / "bls.md"
    source.write_text(OTHER_COURSE)

    import_hugo(source)

    bls = CoursePage.objects.get(code="BLS")
    assert (bls.validity_months, bls.max_participants_per_instructor) == (12, 10)
    assert (bls.duration_days, bls.duration_hours) == (1, Decimal("7.5"))
    assert bls.prerequisite_courses() == []
    assert [block.block_type for block in bls.body] == ["objectives", "section", "section"]
    text = page_text(client.get(bls.url).content.decode())
    for fragment in (
        "Riverside Training Centre",
        "map",
        "Car park",
        "North",
        "40",
        "All clinical and non-clinical staff.",
        "Start chest compressions within 10 seconds",
    ):
        assert fragment in text
    html = client.get(bls.url).content.decode()
    assert 'href="https://example.org/map"' in html


# --- Files refused whole: size, characters, encoding, front matter, prerequisites ---------------------------
# Each refusal is checked with and without --dry-run: a dry run must report exactly what the real run refuses.

RUN_MODES = pytest.mark.parametrize("options", [{}, {"dry_run": True}], ids=["import", "dry-run"])


def position_of(text: str, fragment: str) -> tuple[int, int]:
    """The line and column (both from 1) where `fragment` first appears in `text`."""
    for number, line in enumerate(text.split("\n"), start=1):
        if fragment in line:
            return number, line.index(fragment) + 1
    raise AssertionError(f"{fragment!r} is not in the text")


def course_file(tmp_path: Path, name: str, code: str, prerequisites: str) -> Path:
    """A course page for `code` (ALS1's page, renamed) whose **Prerequisites** line reads `prerequisites`."""
    text = (
        ALS1_MD.read_text()
        .replace("ALS1", code)
        .replace("**Prerequisites**: None", f"**Prerequisites**: {prerequisites}")
    )
    path = tmp_path / name
    path.write_text(text)
    return path


@RUN_MODES
def test_a_file_larger_than_the_limit_is_refused_naming_its_size_and_the_limit(catalogue, tmp_path, settings, options):
    settings.HUGO_IMPORT_MAX_BYTES = 4096
    large = tmp_path / "als2.md"
    large.write_text(ALS2_MD.read_text() + "\n" + "x" * 4096)
    size = large.stat().st_size
    before = database_state()

    output = import_hugo_failure_output(large, **options)

    assert f"{large}: the file is {size:,} bytes; a course page may be at most 4,096 bytes" in output
    assert "HUGO_IMPORT_MAX_BYTES" in output
    assert database_state() == before


def test_the_size_is_checked_before_anything_is_read(catalogue, tmp_path):
    # Ten megabytes of NUL bytes: had the file been read, the first complaint would be about a NUL.
    huge = tmp_path / "huge.md"
    with huge.open("wb") as file:
        file.truncate(10 * 1024 * 1024)

    output = import_hugo_failure_output(huge)

    assert f"{huge}: the file is 10,485,760 bytes; a course page may be at most 1,048,576 bytes" in output
    assert "NUL" not in output


def test_a_file_of_exactly_the_limit_is_imported(catalogue, settings):
    settings.HUGO_IMPORT_MAX_BYTES = ALS1_MD.stat().st_size

    import_hugo(ALS1_MD)

    assert CoursePage.objects.filter(code="ALS1").exists()


@RUN_MODES
def test_a_course_naming_itself_as_prerequisite_is_refused_at_the_code(catalogue, tmp_path, options):
    text = ALS2_MD.read_text().replace("Current ALS1 certification", "Current ALS1 or ALS2 certification")
    bad = tmp_path / "als2.md"
    line, column = position_of(text, "ALS2 certification")

    output = refused_writing_nothing(bad, text, **options)

    assert f"{bad}:{line}:{column}: ALS2 names itself as a prerequisite" in output


@RUN_MODES
def test_a_cycle_of_prerequisites_across_two_files_is_refused_naming_both_files_and_lines(catalogue, tmp_path, options):
    als3 = course_file(tmp_path, "als3.md", "ALS3", "Current ALS4 certification")
    als4 = course_file(tmp_path, "als4.md", "ALS4", "Current ALS3 certification")
    line3, column3 = position_of(als3.read_text(), "ALS4 certification")
    line4, column4 = position_of(als4.read_text(), "ALS3 certification")
    before = database_state()

    output = import_hugo_failure_output(als3, als4, **options)

    assert (
        f"{als3}:{line3}:{column3}: a cycle of prerequisites: ALS3 requires ALS4 ({als3}:{line3}:{column3}), "
        f"ALS4 requires ALS3 ({als4}:{line4}:{column4})"
    ) in output
    assert "1 of 2 files failed" in output
    assert database_state() == before


@RUN_MODES
def test_a_file_closing_a_cycle_with_a_course_already_in_the_catalogue_is_refused(catalogue, tmp_path, options):
    import_hugo(course_file(tmp_path, "als4.md", "ALS4", "Current ALS3 certification"))
    als3 = course_file(tmp_path, "als3.md", "ALS3", "Current ALS4 certification")
    line, column = position_of(als3.read_text(), "ALS4 certification")
    before = database_state()

    output = import_hugo_failure_output(als3, **options)

    assert (
        f"{als3}:{line}:{column}: a cycle of prerequisites: ALS3 requires ALS4 ({als3}:{line}:{column}), "
        "ALS4 requires ALS3 (in the catalogue)"
    ) in output
    assert database_state() == before
    assert [link.code for link in CoursePage.objects.get(code="ALS4").prerequisites.all()] == ["ALS3"]


def test_a_longer_cycle_through_the_catalogue_is_refused_too(catalogue, tmp_path):
    import_hugo(ALS1_MD, ALS2_MD)
    import_hugo(course_file(tmp_path, "als3.md", "ALS3", "Current ALS2 certification"))
    als1 = course_file(tmp_path, "als1.md", "ALS1", "Current ALS3 certification")
    before = database_state()

    output = import_hugo_failure_output(als1)

    assert "ALS1 requires ALS3" in output
    assert "ALS3 requires ALS2 (in the catalogue), ALS2 requires ALS1 (in the catalogue)" in output
    assert database_state() == before


def test_a_run_that_replaces_a_prerequisite_is_checked_as_it_will_be(catalogue, tmp_path):
    # In the catalogue ALS4 requires ALS3; the run rewrites ALS4 without it, so ALS3 may now require ALS4.
    import_hugo(course_file(tmp_path, "als4.md", "ALS4", "Current ALS3 certification"))
    als4 = course_file(tmp_path, "als4-new.md", "ALS4", "None")
    als3 = course_file(tmp_path, "als3.md", "ALS3", "Current ALS4 certification")

    import_hugo(als4, als3)

    assert [course.code for course in CoursePage.objects.get(code="ALS3").prerequisite_courses()] == ["ALS4"]
    assert CoursePage.objects.get(code="ALS4").prerequisite_courses() == []


@RUN_MODES
@pytest.mark.parametrize(
    ("character", "name"),
    [
        ("\x00", "a NUL byte (U+0000)"),
        ("\x1b", "an escape character (U+001B)"),
        ("\x0c", "a control character (U+000C)"),
    ],
    ids=["nul", "escape", "form-feed"],
)
def test_a_control_character_is_refused_with_its_line_and_column(catalogue, tmp_path, options, character, name):
    text = ALS2_MD.read_text().replace("Experienced Registered Nurses", f"Experienced{character} Registered Nurses")
    bad = tmp_path / "als2.md"
    line, column = position_of(text, character)

    output = refused_writing_nothing(bad, text, **options)

    assert f"{bad}:{line}:{column}: {name}" in output


def test_tabs_and_windows_line_endings_are_accepted_and_lines_still_count_true(catalogue, tmp_path):
    text = ALS2_MD.read_text().replace("6 per instructor", "six\tper instructor").replace("\n", "\r\n")
    bad = tmp_path / "als2.md"
    bad.write_bytes(text.encode())

    output = import_hugo_failure_output(bad)

    assert f"{bad}:12:" in output and "'six\\tper instructor'" in output


@RUN_MODES
def test_invalid_utf8_is_refused_with_its_line_and_column(catalogue, tmp_path, options):
    text = ALS2_MD.read_text()
    line, column = position_of(text, "Experienced Registered Nurses")
    bad = tmp_path / "als2.md"
    bad.write_bytes(text.encode().replace(b"Experienced Registered", b"Experienced \xe9 Registered", 1))
    before = database_state()

    output = import_hugo_failure_output(bad, **options)

    assert f"{bad}:{line}:{column + len('Experienced ')}: not UTF-8 text: byte 0xe9" in output
    assert database_state() == before


def test_a_latin1_title_is_refused_at_the_title_column(catalogue, tmp_path):
    bad = tmp_path / "als2.md"
    bad.write_bytes(
        ALS2_MD.read_bytes().replace(b'title = "ALS2 (Advanced)"', 'title = "ALS2 (Avancé)"'.encode("latin-1"))
    )

    output = import_hugo_failure_output(bad)

    _, column = position_of('title = "ALS2 (Avancé)"', "é")
    assert f"{bad}:2:{column}: not UTF-8 text" in output


@RUN_MODES
@pytest.mark.parametrize(
    ("broken", "at", "expected"),
    [
        (lambda text: text.replace('type = "page"', 'type "page"'), '"page"', "Expected '=' after a key"),
        (lambda text: text.replace('description = "', "description = ", 1), "Advanced Advanced", "Invalid value"),
    ],
    ids=["missing-equals", "unquoted-value"],
)
def test_a_toml_error_names_the_files_own_line_and_column(catalogue, tmp_path, options, broken, at, expected):
    text = broken(ALS2_MD.read_text())
    bad = tmp_path / "als2.md"
    line, column = position_of(text, at)

    output = refused_writing_nothing(bad, text, **options)

    assert f"{bad}:{line}:{column}: bad TOML front matter: {expected}" in output
    # tomllib counts from the front matter's first line; its own position would contradict the file's.
    assert "(at line" not in output


def test_a_toml_error_at_the_end_of_the_front_matter_names_its_last_line(catalogue, tmp_path):
    text = ALS2_MD.read_text().replace('type = "page"', 'type = ["page"')
    bad = tmp_path / "als2.md"
    bad.write_text(text)
    line, column = position_of(text, 'type = ["page"')
    end_of_line = column + len('type = ["page"')

    output = import_hugo_failure_output(bad)

    assert f"{bad}:{line}:{end_of_line}: bad TOML front matter: Unclosed array" in output
    assert "end of document" not in output


YAML_COURSE = """---
title: "BLS (Basic Life Support)"
description: [Basic Life Support
slug: bls
---

**Certification**: Valid for 12 months
"""


@RUN_MODES
def test_a_yaml_error_names_the_files_own_line_and_column(catalogue, tmp_path, options):
    bad = tmp_path / "bls.md"
    bad.write_text(YAML_COURSE)

    output = import_hugo_failure_output(bad, **options)

    assert f"{bad}:4:5: bad YAML front matter" in output


def test_a_yaml_list_where_text_belongs_is_refused_at_its_key(catalogue, tmp_path):
    # Aliases let a few lines of YAML stand for a list of billions of items: such a value is never turned to text.
    bad = tmp_path / "bls.md"
    bad.write_text(
        '---\na: &a ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n'
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\ntitle: [*c, *c, *c, *c, *c, *c, *c, *c]\n---\n\n"
        "**Certification**: Valid for 12 months\n"
    )

    output = import_hugo_failure_output(bad)

    assert f"{bad}:5: title should be text, not a list" in output


def test_a_heading_keeps_a_hash_that_ends_its_words_and_drops_a_closing_run_of_hashes():
    assert heading("## Drugs in C#") == Heading(2, "Drugs in C#")
    assert heading("## Drugs in C# ##") == Heading(2, "Drugs in C#")
    assert heading("####### Seven") is None


def test_the_imported_page_books_on_its_own_dates_and_asks_for_the_fee_without_brackets(client, catalogue):
    import_hugo(ALS1_MD, ALS2_MD)
    als2 = CoursePage.objects.get(code="ALS2")

    html = client.get(als2.url).content.decode()

    assert "/book-now/" not in html
    assert '<a href="#dates">Book your ALS2 course now</a>' in str(als2.call_to_action)
    assert '<a href="/contact/">Contact us for the fee</a>' in html
    assert "<dt>Course Fee</dt><dd>Contact us for the fee</dd>" in html
    assert "[Contact" not in html
    assert client.get("/contact/").status_code == 200
