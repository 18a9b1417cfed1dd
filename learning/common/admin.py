"""What the admin screens over the portal's own tables have in common (participants, course dates, certifications,
continuing education, the reminder outbox and its settings)."""

from django.db.models import Q
from django.urls import reverse
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet


class RecordViewSet(ModelViewSet):
    """A Wagtail admin screen over one of the portal's tables.

    Its search queries the database directly: these tables are not in Wagtail's search index. It offers no
    "Copy": in most of them a copy would repeat what must be unique (a participant's email, a certification's
    number, a stage's distance from expiry); a screen where copying makes sense turns it back on."""

    search_backend_name = None
    copy_view_enabled = False


class MenuGroup(ViewSetGroup):
    """One menu in the admin holding `viewsets`, in this order; none of them has a place in the main menu of its own."""

    def __init__(self, label: str, icon: str, order: int, *viewsets):
        self.menu_label, self.menu_icon, self.menu_order, self.items = label, icon, order, viewsets
        super().__init__()


class YesNoColumn(BooleanColumn):
    """A tick or a cross that a screen reader reads as "Yes" or "No" (Wagtail's own cell says "True" or "False")."""

    cell_template_name = "learning/admin/yes_no_cell.html"


class ColumnByColumnSearchMixin:
    """Put before Wagtail's IndexView in a view's bases. The search finds what Wagtail's own database search finds
    (the text anywhere in any of `search_fields`, ignoring case), but asks each column on its own and combines the
    ids: a single OR across joined tables makes PostgreSQL scan and hash-join whole tables, whereas one column's
    search is answered by its trigram index (pg_trgm, learning migration 0019)."""

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        return queryset.filter(pk__in=ids_matching(queryset.model, self.search_fields, self.search_query))


def ids_matching(model, fields: list[str], text: str):
    """A query of the ids of `model` with `text` in one of `fields` (which may follow relations, as
    `participant__email`): one part per field, joined by UNION, each answered by that column's trigram index. (An
    OR of one table's columns would do as well in principle, but PostgreSQL prices the OR of several trigram
    searches above reading the whole table, and then compares every row's every column: 25 ms for 50,000
    participants, against about 1 ms through the indexes.)"""
    parts = []
    for path in fields:
        relation, _, name = path.rpartition("__")
        found = Q(**{f"{name}__icontains": text})
        if relation:
            related = related_model(model, relation)
            found = Q(**{f"{relation}__in": related._default_manager.filter(found).values("pk")})
        parts.append(model._default_manager.filter(found).order_by().values("pk"))
    return parts[0].union(*parts[1:]) if len(parts) > 1 else parts[0]


def related_model(model, relation: str):
    for name in relation.split("__"):
        model = model._meta.get_field(name).related_model
    return model


def row_action(label: str, url_name: str, pk: int, *, icon: str, priority: int) -> MenuItem:
    """An item of a listing row's "more" menu that leads to the admin page `url_name` of the row's record."""
    return MenuItem(label, url=reverse(url_name, args=[pk]), icon_name=icon, priority=priority)
