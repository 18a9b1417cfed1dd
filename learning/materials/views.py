"""The ways into materials besides their pages: images and site search, each through the same entitlement check
as the page. Documents are guarded by the before_serve_document hook (learning.materials.documents.document_gate)."""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, render
from wagtail.images import get_image_model
from wagtail.models import Page

from learning.materials.entitlement import can_read, private_response, readable_pages
from learning.materials.models import MaterialPage

IMAGE_SIZES = {"width-400", "width-800", "width-1200"}
# Search results looked at, best first: enough for any person paging through them.
SEARCH_LIMIT = 200


def image_ids_in(value) -> set[int]:
    """The ids of every image chosen anywhere inside a StreamField value."""
    found = set()
    image_model = get_image_model()
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, image_model):
            found.add(item.pk)
        elif hasattr(item, "raw_data") or isinstance(item, list | tuple):
            stack.extend(child.value if hasattr(child, "value") else child for child in item)
        elif isinstance(item, dict):
            stack.extend(item.values())
    return found


def material_image(request, page_id, image_id, size):
    """An image of a material page, at one of a few sizes, for those who may read the page."""
    if size not in IMAGE_SIZES:
        raise Http404("Unknown image size.")
    page = get_object_or_404(MaterialPage.objects.live(), pk=page_id).specific
    if not request.user.is_authenticated:
        return private_response(redirect_to_login(request.get_full_path()))
    if not can_read(request, page).allowed:
        raise PermissionDenied("This image belongs to course materials you do not have access to.")
    # Manuals and resources have chapters with figures; other materials have no images to serve.
    if image_id not in image_ids_in(getattr(page, "chapters", [])):
        raise Http404("That image is not part of this page.")
    image = get_object_or_404(get_image_model(), pk=image_id)
    rendition = image.get_rendition(size)
    return private_response(FileResponse(rendition.file.open("rb")))


def search(request):
    """Site search. Public pages for everyone; material pages only for those who may read them, so a private
    page's title or text never appears to anyone else."""
    query = request.GET.get("q", "").strip()
    results = []
    page_obj = None
    if query:
        found = [page.pk for page in Page.objects.live().exclude(depth__lte=1).search(query)[:SEARCH_LIMIT]]
        public = set(
            Page.objects.live().public().not_type(MaterialPage).filter(pk__in=found).values_list("pk", flat=True)
        )
        readable = set(
            readable_pages(request, MaterialPage.objects.live()).filter(pk__in=found).values_list("pk", flat=True)
        )
        keep = [pk for pk in found if pk in public or pk in readable]
        pages = {page.pk: page for page in Page.objects.filter(pk__in=keep).specific()}
        results = [pages[pk] for pk in keep if pk in pages]
        page_obj = Paginator(results, 20).get_page(request.GET.get("page"))
    response = render(request, "learning/search.html", {"query": query, "results": page_obj})
    return private_response(response) if request.user.is_authenticated else response
