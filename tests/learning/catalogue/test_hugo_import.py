"""`import_hugo` turns the provider's Hugo course pages into course pages: typed facts, one block per section,
nothing of the text lost, idempotent, prerequisites linked in any order, malformed files refused whole."""

import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from wagtail.models import Page, Revision

from learning.catalogue.hugo import plain
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


def source_fragments(path: Path) -> list[str]:
    """Every heading, bullet and sentence of the body as plain text, split at colons (label: value)."""
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
                fragments.append(" ".join(fragment.split()))
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
    assert als2.fee_text == "[Contact for current pricing]"
    assert als2.booking_url == "/book-now/"
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


def test_an_unreadable_fact_stops_the_file_naming_file_line_and_expectation(catalogue, tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text(ALS2_MD.read_text().replace("Valid for 2 years", "Valid for ever"))
    before = database_state()

    output = import_hugo_failure_output(bad)

    assert f"{bad}:11:" in output
    assert "1 of 1 files failed" in output
    assert "'Valid for 2 years'" in output and "'Valid for ever'" in output
    assert database_state() == before


def import_hugo_failure_output(*paths) -> str:
    from io import StringIO

    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_hugo", *[str(p) for p in paths], stdout=out, stderr=err)
    return out.getvalue() + err.getvalue() + str(raised.value)


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
    bad.write_text(broken(ALS2_MD.read_text()))
    before = database_state()

    output = import_hugo_failure_output(bad)

    assert f"{bad}:{line}:" in output
    assert expected in output
    assert database_state() == before


def test_a_bad_file_does_not_stop_the_other_files_of_the_run(catalogue, tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text(ALS2_MD.read_text().replace("Valid for 2 years", "Valid for ever"))

    output = import_hugo_failure_output(bad, ALS1_MD)

    assert re.search(r"^failed\s+.*bad\.md:11", output, re.M)
    assert re.search(r"^created\s+.*als1\.md", output, re.M)
    assert "2 files: 1 created, 0 updated, 0 unchanged, 1 failed" in output
    assert list(CoursePage.objects.values_list("code", flat=True)) == ["ALS1"]


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
