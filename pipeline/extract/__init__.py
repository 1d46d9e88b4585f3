"""Pure statement and trigger extraction: who said what, in which role, about talks and
ceasefires.  No Beam, Kafka or Elasticsearch imports here (the Beam DoFns wrap this).

    from pipeline.extract import StatementExtractor, extract_record
    result = StatementExtractor().extract(text)          # ExtractionResult
    result.to_dict()                                     # DESIGN.md "Extraction contract"
    extract_record({"id": "a1", "text": text})           # one contract output line
"""

import gc
from pathlib import Path

# The imports below make the extractor's modules, classes and preloaded regexes: long-lived
# objects, no garbage among them.  With the collector on, the ~37 collections they set off
# walk all of them made so far again (~33 M instructions, a tenth of a process's start-up).
_collecting = gc.isenabled()
gc.disable()
try:
    from pipeline.extract import native, regex_cache

    # Before any compiled module is imported: an out-of-date build must not shadow its
    # sources.
    NATIVE = native.select_modules(Path(__file__).resolve().parent)
    # and their small regexes compiled in an earlier process (``regex_cache.preload``)
    regex_cache.preload()

    from pipeline.extract.extractor import StatementExtractor
    from pipeline.extract.model import (
        ExtractionResult,
        Span,
        Speaker,
        Statement,
        Trigger,
    )
    from pipeline.extract.record import extract_record
finally:
    if _collecting:
        gc.enable()

__all__ = [
    "ExtractionResult",
    "Span",
    "Speaker",
    "Statement",
    "StatementExtractor",
    "Trigger",
    "extract_record",
]
