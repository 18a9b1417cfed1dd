"""URLs of the participant area and of public verification."""

from django.urls import path

from learning import views

urlpatterns = [
    path("portal/", views.dashboard, name="dashboard"),
    path("portal/certifications/<str:number>/card.pdf", views.certification_card, name="certification_card"),
    path("verify/", views.verify, name="verify"),
    path("verify/<str:number>/", views.verify, name="verify_certification"),
]
