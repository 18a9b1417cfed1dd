"""The course catalogue: course pages and their blocks, and the import of Hugo course pages."""
