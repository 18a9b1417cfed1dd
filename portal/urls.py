"""The portal's URLs: the Wagtail admin, participant accounts, documents, and Wagtail's page tree last."""

from django.urls import include, path
from django.views.generic import RedirectView
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from home import urls as home_urls
from learning import urls as learning_urls
from reminders import urls as reminders_urls

urlpatterns = [
    # The admin's password reset, rate-limited as the site's is; the rest of the admin is Wagtail's.
    path("admin/", include(learning_urls.admin_urlpatterns)),
    path("admin/", include(wagtailadmin_urls)),
    # Wagtail's one document view; its before_serve_document hook (learning.materials.documents.document_gate)
    # decides.
    path("documents/", include(wagtaildocs_urls)),
    *learning_urls.material_urlpatterns,
    path("sitemap.xml", sitemap),
    path("accounts/", include(learning_urls.account_urlpatterns)),
    path("anymail/", include(reminders_urls.webhook_urls)),
    path("", include(learning_urls)),
    path("", include(reminders_urls)),
    path("", include(home_urls)),
]

urlpatterns += [
    # Wagtail's own front-end sign-in form, unstyled and a second way in: the site's sign-in instead (with ?next=).
    path("_util/login/", RedirectView.as_view(pattern_name="login", query_string=True)),
    path("", include(wagtail_urls)),
]
