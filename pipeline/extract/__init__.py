"""Pure statement and trigger extraction: who said what, in which role, about talks and
ceasefires.  No Beam, Kafka or Elasticsearch imports here (the Beam DoFns wrap this).

    from pipeline.extract import StatementExtractor, extract_record
    result = StatementExtractor().extract(text)          # ExtractionResult
    result.to_dict()                                     # DESIGN.md "Extraction contract"
    extract_record({"id": "a1", "text": text})           # one contract output line
"""

from pipeline.extract.extractor import StatementExtractor
from pipeline.extract.model import ExtractionResult, Span, Speaker, Statement, Trigger
from pipeline.extract.record import extract_record

__all__ = [
    "ExtractionResult",
    "Span",
    "Speaker",
    "Statement",
    "StatementExtractor",
    "Trigger",
    "extract_record",
]
