"""The public site's fixed addresses (its pages are Wagtail's)."""

from django.urls import path

from home import views

urlpatterns = [path("contact/", views.contact, name="contact")]
