"""Participant materials: the library and its manuals, case studies, guideline updates and resources. Each names
the courses it serves; who may read it is decided by learning.materials.entitlement, never by where it sits in
the tree."""

from django import forms
from django.conf import settings
from django.db import models
from django.utils import timezone
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.images.blocks import ImageChooserBlock
from wagtail.models import Orderable, Page
from wagtail.search import index

from learning.catalogue.blocks import RICH_TEXT_FEATURES
from learning.catalogue.models import ListingPage
from learning.materials.cached_text import documents_stamp
from learning.materials.entitlement import (
    access_denied,
    can_read,
    private_response,
    readable_materials,
    require_sign_in,
)


class FigureBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    caption = blocks.CharBlock(required=False)

    class Meta:
        icon = "image"
        template = "learning/blocks/figure.html"


class ChapterBlock(blocks.StructBlock):
    heading = blocks.CharBlock()
    body = blocks.StreamBlock(
        [("text", blocks.RichTextBlock(features=RICH_TEXT_FEATURES)), ("figure", FigureBlock())],
    )

    class Meta:
        icon = "doc-full"
        template = "learning/blocks/chapter.html"


class ObservationBlock(blocks.StructBlock):
    label = blocks.CharBlock(help_text="e.g. Heart rate")
    value = blocks.CharBlock(help_text="e.g. 38 /min, irregular")


class LibraryIndexPage(ListingPage):
    """The participants' library: lists the materials the signed-in participant may read. In the admin it sits
    under the home page, with the material pages beneath it."""

    subpage_types = [
        "learning.ManualPage",
        "learning.CaseStudyPage",
        "learning.GuidelineUpdatePage",
        "learning.ResourcePage",
    ]

    class Meta:
        verbose_name = "materials library"

    def get_sitemap_urls(self, request=None):
        return []  # the library is for signed-in participants only

    def serve(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return require_sign_in(request)
        return private_response(super().serve(request, *args, **kwargs))

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["groups"] = mark_unread(request.user, readable_materials(request, MaterialPage.objects.live()))
        return context


class MaterialPage(Page):
    """What all materials share: a summary, the courses they serve, attached documents. Not created itself."""

    summary = models.TextField(blank=True, help_text="One or two sentences shown in lists and search results.")
    courses = ParentalManyToManyField(
        "learning.CoursePage", related_name="materials", help_text="Participants of these courses may read it."
    )

    search_fields = [*Page.search_fields, index.SearchField("summary")]
    parent_page_types = ["learning.LibraryIndexPage"]
    subpage_types = []
    is_creatable = False

    class Meta:
        verbose_name = "material"

    def get_sitemap_urls(self, request=None):
        return []  # never in the sitemap, whoever asks

    def get_context(self, request, *args, access=None, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        # Read when the template shows them: a manual's come from the cache with its chapters (manual_page.html).
        context["attachments"] = self.attachments.select_related("document")
        # The access check read the page's courses already; a preview, which has no check, reads them here.
        codes = access.course_codes if access else sorted(course.code for course in self.courses.all())
        context["course_codes"] = codes
        context["text_cache_seconds"] = settings.MATERIAL_TEXT_CACHE_SECONDS
        context["documents_stamp"] = documents_stamp  # called only when the cached text is missing or stale
        return context

    def serve(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return require_sign_in(request)
        access = can_read(request, self)
        if not access.allowed:
            return access_denied(request, self, access)
        if not access.opened:
            record_reading(request.user, self, now=timezone.now())
        return private_response(super().serve(request, *args, access=access, **kwargs))

    def serve_preview(self, request, mode_name):
        return private_response(super().serve_preview(request, mode_name))


def material_panels(*own_panels) -> list:
    """A material's editing form: title and address, then what every material has, then the page's own fields,
    then its PDFs."""
    return [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("courses", widget=forms.CheckboxSelectMultiple),
        *own_panels,
        InlinePanel("attachments", label="Attached PDF"),
    ]


def material_search_fields(*names: str) -> list:
    """What search finds a material by: what every material has, then the page's own fields `names`."""
    return [*MaterialPage.search_fields, *(index.SearchField(name) for name in names)]


class MaterialDocument(Orderable):
    """A PDF attached to a material page; served only to those who may read the page."""

    page = ParentalKey(MaterialPage, on_delete=models.CASCADE, related_name="attachments")
    document = models.ForeignKey("wagtaildocs.Document", on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=255, blank=True, help_text="Shown instead of the document's own title.")

    panels = [FieldPanel("document"), FieldPanel("title")]

    def __str__(self):
        return self.title or self.document.title

    @property
    def format_note(self) -> str:
        """ "(PDF)" after the link, unless the title already says it."""
        note = f"({self.document.file_extension.upper()})"
        return "" if str(self).upper().endswith(note) else note


class ManualPage(MaterialPage):
    """A course manual: chapters of text and figures, with its PDFs attached."""

    chapters = StreamField([("chapter", ChapterBlock())], blank=True)

    content_panels = material_panels(FieldPanel("chapters"))
    search_fields = material_search_fields("chapters")

    class Meta:
        verbose_name = "manual"


class CaseStudyPage(MaterialPage):
    """A case for team practice: scenario, observations, questions, and the debrief (hidden until revealed)."""

    scenario = RichTextField(features=RICH_TEXT_FEATURES)
    observations = StreamField([("observation", ObservationBlock())], blank=True)
    questions = StreamField([("question", blocks.CharBlock())], blank=True)
    debrief = RichTextField(blank=True, features=RICH_TEXT_FEATURES)

    content_panels = material_panels(
        FieldPanel("scenario"), FieldPanel("observations"), FieldPanel("questions"), FieldPanel("debrief")
    )
    search_fields = material_search_fields("scenario", "debrief")

    class Meta:
        verbose_name = "case study"


SUPERSEDES_HELP = "The guideline or page this update replaces."


class GuidelineUpdatePage(MaterialPage):
    """A change to the guidelines: when it takes effect, what changed, what it supersedes. Its first publication
    emails the participants of its courses; a later one that adds a course emails that course's participants."""

    effective_on = models.DateField()
    what_changed = RichTextField(features=RICH_TEXT_FEATURES, help_text="A short summary of the changes.")
    supersedes = models.ForeignKey(
        "wagtailcore.Page", models.SET_NULL, null=True, blank=True, related_name="+", help_text=SUPERSEDES_HELP
    )
    body = RichTextField(blank=True, features=RICH_TEXT_FEATURES)

    content_panels = material_panels(
        MultiFieldPanel([FieldPanel("effective_on"), FieldPanel("supersedes")], heading="Effect"),
        FieldPanel("what_changed"),
        FieldPanel("body"),
    )
    search_fields = material_search_fields("what_changed", "body")

    class Meta:
        verbose_name = "guideline update"


class ResourcePage(MaterialPage):
    """A resource such as a leadership or communication guide: chapters and PDFs, shown like a manual."""

    chapters = StreamField([("chapter", ChapterBlock())], blank=True)

    content_panels = ManualPage.content_panels
    search_fields = ManualPage.search_fields
    template = "learning/manual_page.html"

    class Meta:
        verbose_name = "resource"


class GuidelineNotification(models.Model):
    """One participant told about one guideline update: the unique pair makes it once, however often the page
    is published or the task runs."""

    PENDING, SENT, FAILED = "pending", "sent", "failed"

    page = models.ForeignKey(GuidelineUpdatePage, on_delete=models.CASCADE, related_name="notifications")
    participant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, default=PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["page", "participant"], name="guideline_notified_once")]

    def __str__(self):
        return f"{self.page} to {self.participant}"


class GuidelineAnnouncement(models.Model):
    """A course whose participants were told of a guideline update: a publication emails only the participants of
    the page's courses not announced yet, so a typo fix emails nobody and a course added later is not missed.
    Kept beside the page, not on it, so that publishing an older revision cannot bring back an older list."""

    page = models.ForeignKey(GuidelineUpdatePage, on_delete=models.CASCADE, related_name="announcements")
    course = models.ForeignKey("learning.CoursePage", on_delete=models.CASCADE, related_name="+")
    announced_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["page", "course"], name="guideline_course_announced_once")]

    def __str__(self):
        return f"{self.page} to {self.course}"


class PublicCollection(models.Model):
    """A collection an editor marked public: its documents may be downloaded by anyone. Every other document is
    private (deny by default): readable through the material pages it is attached to, or by staff alone. Marking a
    collection public also covers the collections inside it. In the admin: Settings → Public document collections."""

    collection = models.OneToOneField("wagtailcore.Collection", on_delete=models.CASCADE, related_name="public_marker")
    reason = models.CharField(
        max_length=255, blank=True, help_text="Why its documents may be public, e.g. course brochures."
    )

    class Meta:
        verbose_name = "public document collection"

    def __str__(self):
        return str(self.collection)


class MaterialReading(models.Model):
    """When a participant opened a material page since it was last published (the first such opening: later ones
    change no badge): a "New" or "Updated" badge stays until they open it."""

    participant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    page = models.ForeignKey(MaterialPage, on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["participant", "page"], name="one_reading_per_page")]

    def __str__(self):
        return f"{self.participant} read {self.page} at {self.read_at:%Y-%m-%d %H:%M}"


def record_reading(participant, page: MaterialPage, *, now) -> None:
    """Records an opening that changes a badge: the first, or the first since the page was published again (the
    access check tells the page whether this is one: `Access.opened`). Later openings write nothing; the badges
    (`badge`) only ask whether the page was published after the reading. The write is one statement, whoever else
    opens the page at the same moment (INSERT ... ON CONFLICT DO UPDATE)."""
    MaterialReading.objects.bulk_create(
        [MaterialReading(participant=participant, page=page, read_at=now)],
        update_conflicts=True,
        unique_fields=["participant", "page"],
        update_fields=["read_at"],
    )


def mark_unread(user, groups: list[tuple]) -> list[tuple]:
    """Gives each page of My materials' `groups` its badge, in one query: "New" until the participant opens it,
    "Updated" when it was published again after they last did. What was published before the participant's
    first look at My materials (`materials_seen_at`) starts read."""
    pages = [page for _, course_pages in groups for page in course_pages]
    read_at = dict(
        MaterialReading.objects.filter(participant_id=user.pk, page_id__in=[page.pk for page in pages]).values_list(
            "page_id", "read_at"
        )
    )
    baseline = getattr(user, "materials_seen_at", None)
    for page in pages:
        page.badge = badge(page, read_at.get(page.pk), baseline)
    return groups


def badge(page: MaterialPage, read_at, baseline) -> str | None:
    if read_at is not None:
        return "Updated" if page.last_published_at > read_at else None
    if baseline is None or page.last_published_at <= baseline:
        return None
    return "New" if page.first_published_at > baseline else "Updated"
