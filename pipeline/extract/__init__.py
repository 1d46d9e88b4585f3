"""Pure statement and trigger extraction: who said what, in which role, about talks and
ceasefires.  No Beam, Kafka or Elasticsearch imports here (the Beam DoFns wrap this).

    from pipeline.extract import StatementExtractor, extract_record
    result = StatementExtractor().extract(text)          # ExtractionResult
    result.to_dict()                                     # DESIGN.md "Extraction contract"
    extract_record({"id": "a1", "text": text})           # one contract output line
"""

from pathlib import Path

from pipeline.extract import native, regex_cache

# Before any compiled module is imported: an out-of-date build must not shadow its sources.
NATIVE = native.select_modules(Path(__file__).resolve().parent)
# and their small regexes compiled in an earlier process (``regex_cache.preload``)
regex_cache.preload()

from pipeline.extract.extractor import StatementExtractor  # noqa: E402
from pipeline.extract.model import (  # noqa: E402
    ExtractionResult,
    Span,
    Speaker,
    Statement,
    Trigger,
)
from pipeline.extract.record import extract_record  # noqa: E402

__all__ = [
    "ExtractionResult",
    "Span",
    "Speaker",
    "Statement",
    "StatementExtractor",
    "Trigger",
    "extract_record",
]
