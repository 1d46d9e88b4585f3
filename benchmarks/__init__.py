"""Reproducible measurements of parley (latency, throughput, extraction quality)."""
