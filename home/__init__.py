"""The public site: its home page, general pages, the base look, and the demo content."""
