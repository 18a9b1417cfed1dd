"""URLs of the participant area and of public verification."""

from django.urls import path

from learning.bookings import views as booking_views
from learning.dashboard import views

urlpatterns = [
    path("portal/", views.dashboard, name="dashboard"),
    path("portal/certifications/<str:number>/card.pdf", views.certification_card, name="certification_card"),
    path("portal/book/<int:date_id>/", booking_views.book, name="book"),
    path("portal/bookings/<int:booking_id>/cancel/", booking_views.cancel, name="cancel_booking"),
    path("portal/continuing-education/new/", booking_views.submit_continuing_education, name="submit_ce"),
    path("verify/", views.verify, name="verify"),
    path("verify/<str:number>/", views.verify, name="verify_certification"),
]
