"""The portal's URLs: the Wagtail admin, participant accounts, documents, and Wagtail's page tree last."""

from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from learning import accounts

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include(accounts.urlpatterns)),
]

urlpatterns += [path("", include(wagtail_urls))]
