"""The portal's URLs: the Wagtail admin, participant accounts, documents, and Wagtail's page tree last."""

from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.contrib.sitemaps.views import sitemap
from wagtail.documents import urls as wagtaildocs_urls

from learning import urls as learning_urls
from learning.accounts import views as accounts
from learning.materials import views as material_views
from reminders import urls as reminders_urls

urlpatterns = [
    # The admin's password reset, rate-limited as the site's is; the rest of the admin is Wagtail's.
    path("admin/", include(accounts.admin_urlpatterns)),
    path("admin/", include(wagtailadmin_urls)),
    # Wagtail's one document view; its before_serve_document hook (learning.materials.entitlement.document_gate)
    # decides.
    path("documents/", include(wagtaildocs_urls)),
    path(
        "materials/<int:page_id>/images/<int:image_id>/<str:size>/",
        material_views.material_image,
        name="material_image",
    ),
    path("search/", material_views.search, name="search"),
    path("sitemap.xml", sitemap),
    path("accounts/", include(accounts.urlpatterns)),
    path("anymail/", include(reminders_urls.webhook_urls)),
    path("", include(learning_urls)),
    path("", include(reminders_urls)),
]

urlpatterns += [path("", include(wagtail_urls))]
