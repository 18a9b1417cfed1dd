"""Who may download which document: the rule editors see on each document, and the gate every download passes
(Wagtail's before_serve_document hook). Pages' rules are in learning.materials.entitlement; a document attached to
material pages follows theirs."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from wagtail.models import Collection

from learning.materials.entitlement import can_read, is_staff, require_sign_in
from learning.materials.models import MaterialPage


@dataclass
class DocumentRule:
    """Which rule decides who may download a document, in the words editors see on it."""

    public: bool
    pages: list  # the material pages it is attached to, live or not
    explanation: str


def document_rule(document) -> DocumentRule:
    """Deny by default. A document attached to material pages is for those who may read one of its live pages
    (even when it also sits in a public collection: the attachment is the stronger statement); a document in a
    collection marked public (or inside one) is for anyone; every other document, staff only."""
    pages = list(MaterialPage.objects.filter(attachments__document=document).distinct().prefetch_related("courses"))
    if pages:
        live = [page for page in pages if page.live]
        where = ", ".join(f"\u201c{page.title}\u201d" for page in live) or "no published page"
        return DocumentRule(
            public=False,
            pages=pages,
            explanation=f"Private: attached to course materials ({where}); only their readers and staff can open it.",
        )
    marked = Collection.objects.ancestor_of(document.collection, inclusive=True).filter(public_marker__isnull=False)
    if marked.exists():
        return DocumentRule(
            public=True, pages=[], explanation="Public: anyone can download it (its collection is marked public)."
        )
    return DocumentRule(
        public=False,
        pages=[],
        explanation="Private: not in a public collection and attached to no material page, so only staff can "
        "open it. Attach it to a material page, or move it to a public collection.",
    )


def rule_allows(request, rule: DocumentRule) -> bool:
    if rule.public:
        return True
    if not request.user.is_authenticated:
        return False
    # can_read lets staff in too (unless a page's Privacy setting keeps them out); asking is_staff after it covers
    # a document none of whose pages is published.
    live = [page for page in rule.pages if page.live]
    return any(can_read(request, page).allowed for page in live) or (not live and is_staff(request.user))


def can_read_document(request, document) -> bool:
    """The one question for documents: may the request's user download this one?"""
    return rule_allows(request, document_rule(document))


def refuse_outside_the_groups(document, request) -> None:
    """Wagtail answers a Privacy setting "some groups" on the document's collection by sending the reader to sign
    in, even one signed in already, whom the sign-in sends straight back: an endless loop. A signed-in reader such
    a setting keeps out gets the site's 403 page instead; a password is still asked for."""
    for restriction in document.collection.get_view_restrictions():
        if restriction.restriction_type != restriction.PASSWORD and not restriction.accept_request(request):
            raise PermissionDenied("This document is private to some groups; your account is not in them.")


def document_gate(document, request):
    """Wagtail's before_serve_document hook: every way Wagtail serves a document (its serve view under any URL
    spelling, and the redirect and direct methods, which pass through that view too) asks here first. Returns a
    response to refuse, or None to let Wagtail serve the file; a private one is then marked never to be cached."""
    if request.user.is_authenticated:
        refuse_outside_the_groups(document, request)
    rule = document_rule(document)
    if rule_allows(request, rule):
        request.private_response = not rule.public
        return None
    if not request.user.is_authenticated:
        return require_sign_in(request)
    raise PermissionDenied("This document belongs to course materials you do not have access to.")
