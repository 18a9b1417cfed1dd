"""Editors change course pages in the Wagtail admin; the page shows the change, and previews before it."""

import pytest

from learning.models import CoursePage
from tests.admin_forms import page_edit_form_data
from tests.learning.catalogue.test_hugo_import import import_hugo, page_text
from tests.learning.conftest import ALS1_MD, ALS2_MD

pytestmark = pytest.mark.django_db


@pytest.fixture
def als2(catalogue):
    import_hugo(ALS1_MD, ALS2_MD)
    return CoursePage.objects.get(code="ALS2")


def with_new_first_audience(page: CoursePage):
    body = page.body
    audience = next(block for block in body if block.block_type == "audience")
    audience.value["people"][0] = "Resuscitation Officers"
    audience.value["heading"] = "Who Attends"
    return body


def test_admin_edit_form_shows_the_typed_facts(editor_client, als2):
    response = editor_client.get(f"/admin/pages/{als2.pk}/edit/")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="validity_months" value="24"' in html
    assert 'name="written_exam_pass_mark" value="85"' in html


def test_an_editor_decides_which_assessments_the_course_requires(editor_client, als2):
    assert (als2.requires_practical_assessment, als2.requires_scenario_assessment) == (True, True)
    data = page_edit_form_data(editor_client, als2, {"body": als2.body})
    data.pop("requires_scenario_assessment", None)  # an unticked box is not posted
    data.update({"requires_practical_assessment": "on", "action-publish": "action-publish"})

    response = editor_client.post(f"/admin/pages/{als2.pk}/edit/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    als2.refresh_from_db()
    assert (als2.requires_practical_assessment, als2.requires_scenario_assessment) == (True, False)


def test_an_editor_changes_a_section_and_the_published_page_shows_it(editor_client, client, als2):
    data = page_edit_form_data(editor_client, als2, {"body": with_new_first_audience(als2)})
    data["action-publish"] = "action-publish"

    response = editor_client.post(f"/admin/pages/{als2.pk}/edit/", data)

    assert response.status_code == 302, response.content.decode()[:3000]
    als2.refresh_from_db()
    editor_client.logout()
    text = page_text(client.get(als2.url).content.decode())
    assert "Who Attends" in text
    assert "Resuscitation Officers" in text
    assert "Experienced Registered Nurses" not in text
    assert "Advanced Practice Nurses" in text


def test_an_invalid_fact_is_refused_on_its_field(editor_client, als2):
    data = page_edit_form_data(editor_client, als2, {"body": als2.body})
    data.update({"written_exam_pass_mark": "120", "action-publish": "action-publish"})

    response = editor_client.post(f"/admin/pages/{als2.pk}/edit/", data)

    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 100." in response.content.decode()
    als2.refresh_from_db()
    assert als2.written_exam_pass_mark == 85


def test_the_page_previews_an_unsaved_change(editor_client, als2):
    data = page_edit_form_data(editor_client, als2, {"body": with_new_first_audience(als2)})
    preview_url = f"/admin/pages/{als2.pk}/edit/preview/"

    check = editor_client.post(preview_url, data)
    preview = editor_client.get(preview_url)

    assert check.json()["is_valid"] is True
    assert preview.status_code == 200
    assert "Resuscitation Officers" in page_text(preview.content.decode())
    als2.refresh_from_db()
    assert "Resuscitation Officers" not in page_text(editor_client.get(als2.url).content.decode())


@pytest.mark.parametrize("alias", [False, True])
def test_a_course_or_a_page_holding_courses_is_not_copied_and_the_editor_is_told_why(admin_client, als2, alias):
    from wagtail.models import Page

    catalogue = als2.get_parent()
    copy = {"new_title": "Copy", "new_slug": "als2-copy", "new_parent_page": catalogue.pk, "publish_copies": "on"}
    if alias:
        copy["alias"] = "on"
    pages_before = Page.objects.count()

    response = admin_client.post(f"/admin/pages/{als2.pk}/copy/", copy, follow=True)
    whole = admin_client.post(
        f"/admin/pages/{catalogue.pk}/copy/", {**copy, "new_slug": "courses-copy", "copy_subpages": "on"}
    )

    assert response.status_code == 200
    assert "Courses are not copied or aliased" in response.content.decode()
    assert whole.status_code == 302
    assert Page.objects.count() == pages_before
