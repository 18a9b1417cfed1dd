"""Form data for Wagtail admin edit views in tests: the server-rendered fields of the page, plus StreamField
values encoded the way the admin's JavaScript posts them."""

from wagtail import blocks
from wagtail.test.utils.form_data import querydict_from_html, rich_text


def block_form_data(block, value, prefix: str) -> dict:
    data: dict = {}
    if isinstance(block, blocks.StreamBlock):
        data[f"{prefix}-count"] = len(value)
        for index, child in enumerate(value):
            item = f"{prefix}-{index}"
            data.update(
                {
                    f"{item}-type": child.block_type,
                    f"{item}-deleted": "",
                    f"{item}-order": index,
                    f"{item}-id": child.id or "",
                }
            )
            data.update(block_form_data(child.block, child.value, f"{item}-value"))
    elif isinstance(block, blocks.ListBlock):
        data[f"{prefix}-count"] = len(value)
        for index, child in enumerate(value.bound_blocks):
            item = f"{prefix}-{index}"
            data.update({f"{item}-deleted": "", f"{item}-order": index, f"{item}-id": child.id or ""})
            data.update(block_form_data(block.child_block, child.value, f"{item}-value"))
    elif isinstance(block, blocks.StructBlock):
        for name, child_block in block.child_blocks.items():
            data.update(block_form_data(child_block, value[name], f"{prefix}-{name}"))
    elif isinstance(block, blocks.RichTextBlock):
        data[prefix] = rich_text(value.source, features=block.features)
    else:
        data[prefix] = "" if value is None else str(value)
    return data


def page_edit_form_data(client, page, stream_fields: dict) -> dict:
    """The edit form as the admin would post it; `stream_fields` maps a field name to its (edited) value."""
    html = client.get(f"/admin/pages/{page.pk}/edit/").content.decode()
    data = querydict_from_html(html, form_id="page-edit-form").dict()
    for name, value in stream_fields.items():
        data.update(block_form_data(value.stream_block, value, name))
    return data
