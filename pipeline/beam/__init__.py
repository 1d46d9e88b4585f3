"""The Beam pipeline around the pure core: Kafka source SDF, extraction and sink DoFns, ``run``."""
