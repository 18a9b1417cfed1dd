"""Template tags of the participant materials."""

from django import template
from django.urls import reverse

register = template.Library()


@register.simple_tag
def material_image_url(page, image, size="width-800"):
    """The address of a material page's image, served through the entitlement check (never a public media URL)."""
    return reverse("material_image", kwargs={"page_id": page.pk, "image_id": image.pk, "size": size})
