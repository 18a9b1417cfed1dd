"""What the admin screens over the portal's own tables have in common (participants, course dates, certifications,
continuing education, the reminder outbox and its settings)."""

from django.urls import reverse
from wagtail.admin.ui.menus import MenuItem
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


def row_action(label: str, url_name: str, pk: int, *, icon: str, priority: int) -> MenuItem:
    """An item of a listing row's "more" menu that leads to the admin page `url_name` of the row's record."""
    return MenuItem(label, url=reverse(url_name, args=[pk]), icon_name=icon, priority=priority)
