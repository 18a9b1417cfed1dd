"""The portal's URLs: the Wagtail admin, participant accounts, documents, and Wagtail's page tree last."""

from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from learning import accounts
from learning import urls as learning_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include(accounts.urlpatterns)),
    path("", include(learning_urls)),
]

urlpatterns += [path("", include(wagtail_urls))]
