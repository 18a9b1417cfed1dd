"""Kept because migration 0002 names `learning.blocks.ItemsBlock`; the blocks live in learning.catalogue.blocks."""

from learning.catalogue.blocks import ItemsBlock

__all__ = ["ItemsBlock"]
