"""The console: server-rendered pages in Bahasa Indonesia and English for every person the process
touches, over the same guarded-action pipeline as the JSON API (``actions/``)."""
