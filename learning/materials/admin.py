"""Materials in the Wagtail admin: the collections whose documents are public, and, on every document's edit
screen, the rule that decides who may download it."""

from wagtail.documents.forms import BaseDocumentForm

from learning.common.admin import RecordViewSet
from learning.materials.documents import document_rule
from learning.materials.models import PublicCollection


class PublicCollectionViewSet(RecordViewSet):
    model = PublicCollection
    icon = "globe"
    menu_label = "Public document collections"
    add_to_settings_menu = True
    list_display = form_fields = ["collection", "reason"]


class DocumentForm(BaseDocumentForm):
    """Wagtail's document form, telling the editor under the collection field who may download this document."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "collection" not in self.fields:
            return
        if self.instance.pk:
            rule = document_rule(self.instance)
            self.fields["collection"].help_text = f"Who can download it now — {rule.explanation}"
        else:
            self.fields["collection"].help_text = (
                "Private unless this collection is marked public (Settings → Public document collections): "
                "attach it to a material page to share it with that page's readers."
            )
