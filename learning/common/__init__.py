"""Small helpers every domain package may use: links, email rendering, batching, rate limits, spreadsheet cells."""
