"""Offline replay source: a bundled demo newsroom served on 127.0.0.1 as an RSS feed plus article
pages, releasing one new article every few seconds (``python -m ingest.replay``)."""
