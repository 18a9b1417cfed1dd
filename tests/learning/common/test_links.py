"""Links from data (imported Hugo files, editors' fields) may only be http, https, mailto or addresses on this
site: anything else is refused where it comes in, with the file and line or on the field, and never rendered."""

import pytest
from django.core.exceptions import ValidationError

from learning.catalogue.hugo import Line, render_html
from learning.common.links import validate_link
from learning.models import CoursePage
from tests.admin_forms import page_edit_form_data
from tests.factories import make_course
from tests.learning.catalogue.test_hugo_import import import_hugo, import_hugo_failure_output, refused_writing_nothing
from tests.learning.conftest import ALS1_MD, ALS2_MD

BOOKING_LINK = "[Book your ALS2 course now](/book-now/)"


def line_number_of(text: str, fragment: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), start=1) if fragment in line)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        "JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "vbscript:msgbox(1)",
        "file:///etc/passwd",
        "//evil.example/book",
        "/\\evil.example/book",
        "book-now/",
        "https:evil.example",
    ],
)
def test_a_link_that_is_not_http_https_mailto_or_on_this_site_is_refused(url):
    with pytest.raises(ValidationError) as refused:
        validate_link(url)

    assert refused.value.code == "unsafe_link"


@pytest.mark.parametrize(
    "url",
    [
        "http://www.resus.example/book",
        "https://www.resus.example/book?course=ALS2#dates",
        "mailto:office@example.org",
        "/book/",
    ],
)
def test_http_https_mailto_and_site_addresses_are_accepted(url):
    assert validate_link(url) is None


@pytest.mark.django_db
def test_a_hugo_file_with_a_javascript_booking_link_is_refused_with_its_line_and_nothing_is_imported(
    catalogue, tmp_path
):
    text = ALS2_MD.read_text().replace(BOOKING_LINK, "[Book your ALS2 course now](javascript:alert(1))")
    bad = tmp_path / "als2.md"

    output = refused_writing_nothing(bad, text)

    assert f"{bad}:{line_number_of(text, 'javascript:')}: refused link: 'javascript:alert(1)'" in output


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("section_text", "url"),
    [
        ("Read [the guidelines](javascript:alert(1)) first.", "javascript:alert(1)"),
        ("Read <vbscript:msgbox(1)> first.", "vbscript:msgbox(1)"),
        ("See ![the algorithm](data:image/svg+xml;base64,PHN2Zz4=) first.", "data:image/svg+xml;base64,PHN2Zz4="),
        ("Read [the guidelines](//evil.example/guide) first.", "//evil.example/guide"),
    ],
    ids=["inline-link", "autolink", "image", "protocol-relative"],
)
def test_an_unsafe_link_inside_a_section_is_refused_with_its_line(catalogue, tmp_path, section_text, url):
    text = ALS2_MD.read_text().replace("## Who Should Attend\n", f"## Who Should Attend\n\n{section_text}\n", 1)
    bad = tmp_path / "als2.md"

    output = refused_writing_nothing(bad, text)

    assert f"{bad}:{line_number_of(text, section_text)}: refused link: {url!r}" in output


@pytest.mark.django_db
def test_an_unsafe_reference_link_is_refused_at_the_line_that_defines_it(catalogue, tmp_path):
    text = ALS2_MD.read_text().replace(
        "## Who Should Attend\n", "## Who Should Attend\n\nRead [the guidelines][guide] first.\n\n", 1
    )
    text += "\n[guide]: javascript:alert(1)\n"
    bad = tmp_path / "als2.md"
    bad.write_text(text)

    output = import_hugo_failure_output(bad)

    assert f"{bad}:{line_number_of(text, '[guide]: ')}: refused link" in output
    assert not CoursePage.objects.exists()


def test_the_markdown_renderer_never_makes_a_link_of_an_unsafe_address():
    html = render_html([Line(1, "[x](//evil.example/) and [y](https://www.resus.example/)")])

    assert 'href="//evil.example/"' not in html
    assert '<a href="https://www.resus.example/">y</a>' in html


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["booking_url", "contact_url"])
def test_the_admin_form_refuses_an_unsafe_link_on_its_field(editor_client, catalogue, field):
    import_hugo(ALS1_MD, ALS2_MD)
    als2 = CoursePage.objects.get(code="ALS2")
    before = getattr(als2, field)
    data = page_edit_form_data(editor_client, als2, {"body": als2.body})
    data.update({field: "javascript:alert(1)", "action-publish": "action-publish"})

    response = editor_client.post(f"/admin/pages/{als2.pk}/edit/", data)

    assert response.status_code == 200
    assert "is a javascript: link" in " ".join(response.context["form"].errors[field])
    als2.refresh_from_db()
    assert getattr(als2, field) == before  # nothing saved


@pytest.mark.django_db
def test_a_stored_unsafe_link_is_not_rendered(client, catalogue):
    # Saved around the forms (a shell, an old import): the page still shows no such link.
    course = make_course(catalogue, "ALS3")
    CoursePage.objects.filter(pk=course.pk).update(
        booking_url="javascript:alert(1)", contact_url="//evil.example/contact"
    )

    html = client.get(course.url).content.decode()

    assert "javascript:" not in html
    assert "evil.example" not in html
