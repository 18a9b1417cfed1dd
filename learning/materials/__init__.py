"""Participant materials: material pages, who may read them, serving their documents and images, search."""
