"""Group bookings on the site and in the admin: a manager ticks members on My team, books them on a purchase order
and finds the group booking with its invoice; the form says what stops a booking, person by person or field by
field; the invoice PDF names the organisation, its invoice address, the purchase order, the course, the date, the
attendees and the fee; administrators list group bookings under Organisations and mark one paid."""

import datetime
import io

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone
from pypdf import PdfReader

from learning.bookings.services import booking_cancel
from learning.models import Booking, GroupBooking
from tests.factories import BookingFactory, make_course_date
from tests.learning.organisations.helpers import book_group, certify, manager, member, require

pytestmark = pytest.mark.django_db

NEW = "/portal/team/group-bookings/new/"


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def boss(client, emergency, als1):
    """The emergency department's manager, signed in; the department requires ALS1."""
    require(emergency, als1)
    person = manager(emergency, first_name="Emma", last_name="Reid")
    client.force_login(person)
    return person


@pytest.fixture
def course_date(als1, today):
    return make_course_date(als1, starts_in_days=40, today=today, venue="Riverside Training Centre")


def post_data(course_date, people, **fields):
    return {
        "participants": [person.pk for person in people],
        "organisation": fields.pop("organisation"),
        "course_date": course_date.pk,
        "purchase_order": "PO-2026-0042",
        "seating": "all",
        **fields,
    }


def invoice_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


# --- From My team to a group booking --------------------------------------------------------------------


def test_my_team_lets_a_manager_tick_members_for_a_group_booking(client, boss, emergency):
    nurse = member(emergency, first_name="Nia", last_name="Jones")

    html = client.get("/portal/team/").content.decode()

    assert f'action="{NEW}"' in html
    assert f'name="participants" value="{nurse.pk}"' in html


def test_the_same_form_sent_twice_books_once_and_leads_to_the_booking_made(client, boss, emergency, course_date):
    nurses = [
        member(emergency, first_name="Nia", last_name="Jones"),
        member(emergency, first_name="Ola", last_name="Ode"),
    ]
    data = post_data(course_date, nurses, organisation=emergency.pk)

    first = client.post(NEW, data)
    again = client.post(NEW, data, follow=True)

    group = GroupBooking.objects.get()
    assert first.url == again.redirect_chain[-1][0] == f"/portal/team/group-bookings/{group.pk}/"
    assert "This group booking was made already (the form was sent twice)" in again.content.decode()
    assert Booking.objects.count() == 2
    # Someone else's booking, or a different group, is still refused as before.
    other = client.post(NEW, post_data(course_date, nurses[:1], organisation=emergency.pk))
    assert other.status_code == 409 and "already booked on this date" in other.content.decode()


def test_the_form_offers_the_chosen_members_of_the_team_and_leaves_anyone_else_out(
    client, boss, emergency, elsewhere, course_date
):
    nurse = member(emergency, first_name="Nia", last_name="Jones")
    stranger = member(elsewhere, first_name="Zed", last_name="Zzimmerqvist")  # no generated name contains it

    response = client.get(f"{NEW}?participants={nurse.pk}&participants={stranger.pk}&participants=x")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Nia Jones" in html and f'name="participants" value="{nurse.pk}"' in html
    assert "Zzimmerqvist" not in html and f'name="participants" value="{stranger.pk}"' not in html
    assert "One of the people chosen is not a member of your team" in html
    assert str(course_date.course.code) in html


def test_booking_through_the_form_leads_to_the_group_booking_with_its_places(client, boss, emergency, course_date):
    people = [member(emergency, first_name="Nia", last_name="Jones"), member(emergency, last_name="Okafor")]

    response = client.post(NEW, post_data(course_date, people, organisation=emergency.pk), follow=True)

    group = GroupBooking.objects.get()
    assert response.redirect_chain == [(f"/portal/team/group-bookings/{group.pk}/", 302)]
    html = response.content.decode()
    assert "PO-2026-0042" in html and "Nia Jones" in html
    assert "2 with a seat" in html
    assert set(group.bookings.values_list("status", flat=True)) == {"confirmed"}


def test_an_id_no_account_could_have_names_nobody(client, boss, emergency):
    response = client.get(f"{NEW}?participants={'9' * 40}")

    assert response.status_code == 200
    assert "Choose the members to book" in response.content.decode()


def test_a_posted_id_outside_the_team_refuses_the_whole_booking(client, boss, emergency, elsewhere, course_date):
    nurse = member(emergency)
    stranger = member(elsewhere)

    response = client.post(NEW, post_data(course_date, [nurse, stranger], organisation=emergency.pk))

    assert response.status_code == 400
    assert "Someone chosen is not a member of your team: nothing was booked." in response.content.decode()
    assert not Booking.objects.exists()


def test_the_form_requires_a_purchase_order_number_and_books_nobody_without_it(client, boss, emergency, course_date):
    response = client.post(
        NEW, post_data(course_date, [member(emergency)], organisation=emergency.pk, purchase_order="")
    )

    assert response.status_code == 400
    assert "A purchase-order number is required: it is printed on the invoice." in response.content.decode()
    assert not Booking.objects.exists()


def test_the_form_lists_each_persons_refusal(client, boss, emergency, als1, als2, today):
    als2_date = make_course_date(als2, starts_in_days=40, today=today)
    ready = member(emergency, first_name="Ann", last_name="Ames")
    certify(ready, als1, expires_in=300, today=today)
    never = member(emergency, first_name="Cal", last_name="Cole")

    response = client.post(NEW, post_data(als2_date, [ready, never], organisation=emergency.pk))

    assert response.status_code == 409
    html = response.content.decode()
    assert "Nothing was booked." in html
    assert f'data-testid="refused-{never.pk}"><strong>Cal Cole</strong>: no ALS1 certification' in html
    assert f'data-testid="refused-{ready.pk}"' not in html


def test_a_department_manager_is_not_offered_the_trusts_purchase_order(client, boss, trust, emergency, course_date):
    response = client.post(NEW, post_data(course_date, [member(emergency)], organisation=trust.pk))

    assert response.status_code == 400
    assert not Booking.objects.exists()


def test_the_group_bookings_list_links_each_to_its_invoice(client, boss, emergency, course_date):
    group = book_group(boss, emergency, course_date, [member(emergency)])

    html = client.get("/portal/team/group-bookings/").content.decode()

    assert f"/portal/team/group-bookings/{group.pk}/invoice.pdf" in html
    assert "PO-2026-0042" in html and "Awaiting payment" in html


def test_a_member_about_to_cancel_a_place_their_employer_booked_is_told_the_manager_hears_of_it(
    client, boss, emergency, course_date
):
    ann = member(emergency, first_name="Ann", last_name="Ames")
    placed = book_group(boss, emergency, course_date, [ann], purchase_order="PO-2026-0042").bookings.get()
    own = BookingFactory(participant=ann, course_date=make_course_date(course_date.course, starts_in_days=60))
    client.force_login(ann)

    page = BeautifulSoup(client.get(f"/portal/bookings/{placed.pk}/cancel/").content, "html.parser")
    own_page = BeautifulSoup(client.get(f"/portal/bookings/{own.pk}/cancel/").content, "html.parser")

    assert page.find(attrs={"data-testid": "employer-paid"}).get_text(" ", strip=True) == (
        "Emergency Department booked this place for you on its purchase order PO-2026-0042: its manager is told "
        "when you cancel, since the invoice goes to them."
    )
    assert own_page.find(attrs={"data-testid": "employer-paid"}) is None


def test_a_manager_cancels_a_place_up_to_the_cut_off_and_the_member_is_emailed(
    client, boss, emergency, course_date, django_capture_on_commit_callbacks, mailoutbox
):
    ann, bea = member(emergency, first_name="Ann", last_name="Ames"), member(emergency)
    group = book_group(boss, emergency, course_date, [ann, bea], purchase_order="PO-2026-0042")
    place = group.bookings.get(participant=ann)

    page = client.get(f"/portal/team/group-bookings/{group.pk}/").content.decode()
    confirm = client.get(f"/portal/team/group-bookings/{group.pk}/places/{place.pk}/cancel/").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/portal/team/group-bookings/{group.pk}/places/{place.pk}/cancel/", follow=True)

    assert f'data-testid="cancel-place-{ann.pk}"' in page
    assert "Cancel the place of Ann Ames?" in confirm
    assert "Ann Ames: place cancelled. They are emailed; the invoice counts it no more." in response.content.decode()
    assert Booking.objects.get(pk=place.pk).status == "cancelled"
    assert [(message.to[0], message.subject.split(":")[0]) for message in mailoutbox] == [(ann.email, "Cancelled")]


def test_past_the_cut_off_the_manager_is_sent_to_the_training_office(client, boss, emergency, today, als1):
    soon = make_course_date(als1, starts_in_days=40, today=today)
    group = book_group(boss, emergency, soon, [member(emergency)])
    place = group.bookings.get()
    type(soon).objects.filter(pk=soon.pk).update(
        starts_on=today + datetime.timedelta(days=1), ends_on=today + datetime.timedelta(days=1)
    )

    confirm = client.get(f"/portal/team/group-bookings/{group.pk}/places/{place.pk}/cancel/").content.decode()
    refused = client.post(f"/portal/team/group-bookings/{group.pk}/places/{place.pk}/cancel/", follow=True)

    assert 'data-testid="past-cut-off"' in confirm and "Please contact the training office" in confirm
    assert "Bookings can be cancelled online until" in refused.content.decode()
    assert Booking.objects.get(pk=place.pk).status == "confirmed"


def test_a_place_of_another_organisations_booking_is_not_found(client, boss, elsewhere, course_date):
    theirs = book_group(manager(elsewhere), elsewhere, course_date, [member(elsewhere)])
    place = theirs.bookings.get()

    response = client.post(f"/portal/team/group-bookings/{theirs.pk}/places/{place.pk}/cancel/")

    assert response.status_code == 404
    assert Booking.objects.get(pk=place.pk).status == "confirmed"


# --- The invoice ----------------------------------------------------------------------------------------


def test_the_invoice_names_the_organisation_purchase_order_course_date_attendees_and_fee(
    client, boss, trust, emergency, course_date
):
    trust.invoice_address = "Finance Department\nRiverside General Hospital\nRV1 2AB"
    trust.purchase_order_contact = "Lee Carter"
    trust.save()
    course = course_date.course
    course.fee_text = "£450 per participant"
    course.save()
    people = [
        member(emergency, first_name="Nia", last_name="Jones"),
        member(emergency, first_name="Ola", last_name="Okafor"),
    ]
    group = book_group(boss, emergency, course_date, people)

    text = invoice_text(client.get(f"/portal/team/group-bookings/{group.pk}/invoice.pdf"))

    assert f"Invoice {group.invoice_number}" in text
    assert "Emergency Department" in text
    # the department is invoiced at its trust's address, for the attention of the trust's purchase-order contact
    assert "Finance Department" in text and "RV1 2AB" in text and "For the attention of Lee Carter" in text
    assert "PO-2026-0042" in text
    assert "ALS1" in text and f"{course_date.starts_on:%-d %B %Y}" in text and "Riverside Training Centre" in text
    assert "Nia Jones" in text and "Ola Okafor" in text
    assert "£450 per participant" in text and "£900.00" in text
    assert "Awaiting payment" in text


@pytest.mark.parametrize(
    ("fee", "total"),
    [
        ("£1,250.50 per participant + VAT", "£2,501.00 + VAT"),
        ("£450 per participant plus VAT", "£900.00 + VAT"),
        ("£450 excl. VAT", "£900.00 + VAT"),
        ("£450 exc. VAT", "£900.00 + VAT"),
        ("£450 exclusive of VAT", "£900.00 + VAT"),
        ("£450 per participant, including VAT", "£900.00"),
        ("£450 per participant", "£900.00"),
    ],
)
def test_the_total_says_vat_comes_on_top_when_the_fee_does(fee, total):
    from learning.organisations.invoices import PlaceCounts, fee_lines

    assert dict(fee_lines(fee, PlaceCounts(confirmed=2)))["Total"] == total


def test_an_invoice_without_a_fee_on_the_course_page_says_to_contact_us(client, boss, emergency, course_date):
    group = book_group(boss, emergency, course_date, [member(emergency)])

    text = invoice_text(client.get(f"/portal/team/group-bookings/{group.pk}/invoice.pdf"))

    assert "Contact us for the fee" in text


def test_the_invoice_counts_only_confirmed_places_towards_the_total(client, boss, emergency, course_date):
    course = course_date.course
    course.fee_text = "£1,200"
    course.save()
    for _ in range(5):  # 1 of 6 seats left
        BookingFactory(course_date=course_date)
    group = book_group(boss, emergency, course_date, [member(emergency), member(emergency)], seating="waiting_list")

    text = invoice_text(client.get(f"/portal/team/group-bookings/{group.pk}/invoice.pdf"))

    assert "1 confirmed (1 on the waiting list" in text
    assert "£1,200.00" in text


def test_a_paid_invoice_says_when_it_was_paid(client, boss, emergency, course_date, admin_user):
    from learning.organisations.services import group_booking_mark_paid

    group = book_group(boss, emergency, course_date, [member(emergency)])
    group_booking_mark_paid(group_booking=group, by=admin_user, now=timezone.now())

    text = invoice_text(client.get(f"/portal/team/group-bookings/{group.pk}/invoice.pdf"))

    assert f"Paid on {timezone.localdate():%-d %B %Y}" in text


def test_an_invoice_lists_a_cancelled_place_with_its_date_and_does_not_charge_it(client, boss, emergency, course_date):
    course = course_date.course
    course.fee_text = "£450 per participant"
    course.save()
    people = [member(emergency, first_name="Nia", last_name="Jones"), member(emergency, last_name="Okafor")]
    group = book_group(boss, emergency, course_date, people)
    booking_cancel(booking=group.bookings.get(participant=people[0]), now=timezone.now(), by=boss)

    text = " ".join(invoice_text(client.get(f"/portal/team/group-bookings/{group.pk}/invoice.pdf")).split())

    assert f"Cancelled {timezone.localdate():%-d %B %Y}, not invoiced" in text
    assert "1 confirmed; 1 cancelled, not invoiced" in text
    assert "£450.00" in text and "£900.00" not in text
    assert "Paid for" not in text


def test_a_paid_invoice_shows_what_to_refund_for_a_place_cancelled_after_payment(
    client, boss, emergency, course_date, admin_user
):
    from learning.organisations.services import group_booking_mark_paid

    course = course_date.course
    course.fee_text = "£450 + VAT"
    course.save()
    people = [member(emergency) for _ in range(3)]
    group = book_group(boss, emergency, course_date, people)
    group_booking_mark_paid(group_booking=group, by=admin_user, now=timezone.now())
    booking_cancel(booking=group.bookings.get(participant=people[0]), now=timezone.now(), by=boss)

    text = " ".join(invoice_text(client.get(f"/portal/team/group-bookings/{group.pk}/invoice.pdf")).split())

    assert "Paid for 3 places, £1,350.00 + VAT" in text
    assert "Total £900.00 + VAT" in text
    assert "To refund or credit £450.00 + VAT, for 1 place cancelled since the payment" in text


def test_a_paid_invoice_keeps_the_fee_it_was_paid_at_when_the_course_page_changes_it(
    client, boss, emergency, course_date, admin_user
):
    from learning.organisations.services import group_booking_mark_paid

    course = course_date.course
    course.fee_text = "£450 per participant"
    course.save()
    people = [member(emergency) for _ in range(2)]
    group = book_group(boss, emergency, course_date, people)
    group_booking_mark_paid(group_booking=group, by=admin_user, now=timezone.now())
    course.fee_text = "£500 per participant"  # next year's price
    course.save()
    booking_cancel(booking=group.bookings.get(participant=people[0]), now=timezone.now(), by=boss)
    unpaid = book_group(boss, emergency, course_date, [member(emergency)], purchase_order="PO-2026-0043")

    paid_text = " ".join(invoice_text(client.get(f"/portal/team/group-bookings/{group.pk}/invoice.pdf")).split())
    unpaid_text = " ".join(invoice_text(client.get(f"/portal/team/group-bookings/{unpaid.pk}/invoice.pdf")).split())

    assert "Fee per place £450 per participant" in paid_text and "£500" not in paid_text
    assert "Paid for 2 places, £900.00" in paid_text
    assert "To refund or credit £450.00, for 1 place cancelled since the payment" in paid_text
    assert "Fee per place £500 per participant" in unpaid_text


def test_a_paid_invoice_without_a_fee_still_shows_the_places_cancelled_since(
    client, boss, emergency, course_date, admin_user
):
    from learning.organisations.services import group_booking_mark_paid

    people = [member(emergency) for _ in range(3)]
    group = book_group(boss, emergency, course_date, people)
    group_booking_mark_paid(group_booking=group, by=admin_user, now=timezone.now())
    booking_cancel(booking=group.bookings.get(participant=people[0]), now=timezone.now(), by=boss)

    text = " ".join(invoice_text(client.get(f"/portal/team/group-bookings/{group.pk}/invoice.pdf")).split())

    assert "Paid for 3 places" in text
    assert (
        "To refund or credit the amount the training office confirms, for 1 place cancelled since the payment" in text
    )


def test_a_paid_invoice_shows_what_is_still_due_for_a_place_confirmed_after_payment(
    client, boss, emergency, course_date, admin_user
):
    from learning.organisations.services import group_booking_mark_paid

    course = course_date.course
    course.fee_text = "£450"
    course.save()
    holders = [BookingFactory(course_date=course_date) for _ in range(5)]  # 1 of 6 seats left
    group = book_group(boss, emergency, course_date, [member(emergency), member(emergency)], seating="waiting_list")
    group_booking_mark_paid(group_booking=group, by=admin_user, now=timezone.now())
    booking_cancel(booking=holders[0], now=timezone.now(), by_administrator=True)  # the waiting place moves up

    text = " ".join(invoice_text(client.get(f"/portal/team/group-bookings/{group.pk}/invoice.pdf")).split())

    assert "Paid for 1 place, £450.00" in text
    assert "Still due £450.00, for 1 place confirmed since the payment" in text


# --- The admin ------------------------------------------------------------------------------------------


def test_the_admin_list_counts_the_places_held_not_those_cancelled(admin_client, emergency, course_date):
    group = book_group(manager(emergency), emergency, course_date, [member(emergency) for _ in range(3)])
    first = group.bookings.order_by("pk").first()
    booking_cancel(booking=first, now=timezone.now(), by_administrator=True)

    listing = BeautifulSoup(admin_client.get("/admin/group_bookings/").content.decode(), "html.parser")

    headings = [cell.get_text(strip=True) for cell in listing.select("thead th")]
    row = [cell.get_text(strip=True) for cell in listing.select("tbody tr")[0].select("td")]
    assert row[headings.index("Places held")] == "2"


def test_administrators_list_group_bookings_and_download_the_invoice(admin_client, emergency, course_date):
    group = book_group(manager(emergency), emergency, course_date, [member(emergency)])

    listing = admin_client.get("/admin/group_bookings/").content.decode()
    invoice = admin_client.get(f"/admin/group-bookings/{group.pk}/invoice.pdf")

    assert group.invoice_number in listing and "PO-2026-0042" in listing
    assert "Awaiting payment" in listing
    assert group.invoice_number in invoice_text(invoice)


def test_an_administrator_marks_a_group_booking_paid_after_confirming(admin_client, admin_user, emergency, course_date):
    group = book_group(manager(emergency), emergency, course_date, [member(emergency)])
    url = f"/admin/group-bookings/{group.pk}/mark-paid/"

    assert "cannot be undone" in admin_client.get(url).content.decode()
    group.refresh_from_db()
    assert group.paid_at is None

    response = admin_client.post(url)

    group.refresh_from_db()
    assert response.status_code == 302
    assert group.paid_by == admin_user and group.paid_at is not None


def test_an_administrator_corrects_a_purchase_order_number(admin_client, emergency, course_date):
    group = book_group(manager(emergency), emergency, course_date, [member(emergency)])

    assert admin_client.get(f"/admin/group_bookings/inspect/{group.pk}/").status_code == 200
    response = admin_client.post(f"/admin/group_bookings/edit/{group.pk}/", {"purchase_order": "PO-2026-0043"})

    group.refresh_from_db()
    assert response.status_code == 302
    assert group.purchase_order == "PO-2026-0043"


def test_the_admin_neither_adds_nor_deletes_group_bookings(admin_client, emergency, course_date):
    group = book_group(manager(emergency), emergency, course_date, [member(emergency)])

    listing = admin_client.get("/admin/group_bookings/").content.decode()

    assert "/admin/group_bookings/new/" not in listing
    assert admin_client.get("/admin/group_bookings/new/").status_code != 200
    assert admin_client.post(f"/admin/group_bookings/delete/{group.pk}/").status_code != 200
    assert GroupBooking.objects.filter(pk=group.pk).exists()


def test_only_administrators_open_a_group_bookings_invoice_in_the_admin(client, boss, emergency, course_date):
    group = book_group(boss, emergency, course_date, [member(emergency)])

    response = client.get(f"/admin/group-bookings/{group.pk}/invoice.pdf")

    assert response.status_code in (302, 403)
    assert response.get("Content-Type") != "application/pdf"
