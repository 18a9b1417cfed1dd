"""The portal's URLs: the Wagtail admin, participant accounts, documents, and Wagtail's page tree last."""

from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from learning import accounts
from learning import urls as learning_urls
from reminders import urls as reminders_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include(accounts.urlpatterns)),
    path("anymail/", include("anymail.urls")),
    path("", include(learning_urls)),
    path("", include(reminders_urls)),
]

urlpatterns += [path("", include(wagtail_urls))]
