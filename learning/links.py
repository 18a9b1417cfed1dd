"""Kept because migration 0008 names `learning.links.validate_link`; the rule lives in learning.common.links."""

from learning.common.links import validate_link

__all__ = ["validate_link"]
