"""Every URL of the learning app, for portal/urls.py to place: the participant area and public verification
(`urlpatterns`), sign-in and passwords (`account_urlpatterns`), the admin's rate-limited password reset
(`admin_urlpatterns`, before Wagtail's admin), and the materials' images and search (`material_urlpatterns`)."""

from django.urls import path

from learning.accounts import profile as account_profile
from learning.accounts import signup_views
from learning.accounts import views as account_views
from learning.bookings import views as booking_views
from learning.continuing_education import views as ce_views
from learning.dashboard import views as dashboard_views
from learning.materials import views as material_views
from learning.organisations import views as organisation_views
from learning.register import views as register_views

urlpatterns = [
    path("portal/", dashboard_views.dashboard, name="dashboard"),
    path("portal/profile/", account_profile.profile, name="profile"),
    path("portal/certifications/<str:number>/card.pdf", register_views.certification_card, name="certification_card"),
    path("portal/book/<int:date_id>/", booking_views.book, name="book"),
    path("portal/bookings/<int:booking_id>/cancel/", booking_views.cancel, name="cancel_booking"),
    path("portal/bookings/<int:booking_id>/calendar.ics", booking_views.booking_calendar, name="booking_calendar"),
    path("portal/continuing-education/new/", ce_views.submit_continuing_education, name="submit_ce"),
    path("portal/team/", organisation_views.team, name="team"),
    path("portal/team/export.csv", organisation_views.team_export, name="team_export"),
    path("portal/team/export.xlsx", organisation_views.team_export_xlsx, name="team_export_xlsx"),
    path("portal/team/members/<int:participant_id>/", organisation_views.team_member, name="team_member"),
    path("portal/team/group-bookings/", organisation_views.group_bookings, name="group_bookings"),
    path("portal/team/group-bookings/new/", organisation_views.group_booking_new, name="group_booking_new"),
    path("portal/team/group-bookings/<int:group_booking_id>/", organisation_views.group_booking, name="group_booking"),
    path(
        "portal/team/group-bookings/<int:group_booking_id>/places/<int:booking_id>/cancel/",
        organisation_views.group_booking_place_cancel,
        name="group_booking_place_cancel",
    ),
    path(
        "portal/team/group-bookings/<int:group_booking_id>/invoice.pdf",
        organisation_views.group_booking_invoice,
        name="group_booking_invoice",
    ),
    path(
        "portal/organisations/<int:membership_id>/leave/",
        organisation_views.leave_organisation,
        name="leave_organisation",
    ),
    path("verify/", register_views.verify, name="verify"),
    path("verify/<str:number>/", register_views.verify, name="verify_certification"),
]

account_urlpatterns = account_views.urlpatterns + signup_views.urlpatterns
admin_urlpatterns = account_views.admin_urlpatterns

material_urlpatterns = [
    path(
        "materials/<int:page_id>/images/<int:image_id>/<str:size>/",
        material_views.material_image,
        name="material_image",
    ),
    path("search/", material_views.search, name="search"),
]
