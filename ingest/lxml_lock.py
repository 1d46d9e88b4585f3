"""One lock for every use of lxml in a process.

lxml (libxml2 underneath) crashes the whole process when trafilatura runs in several threads at
once: four threads extracting real news pages side by side ended in SIGSEGV or SIGABRT in about
one process in ten within seconds (copying, pruning and reading trees at the same moment), and
pollers died the same way under load.  So page extraction and the feed scans take this lock,
create and drop their trees inside it, and hand out only plain Python values.  Parallelism comes
from processes instead (several pollers; see docs/scaling.md): the work is CPU-bound under one
GIL anyway, so the lock costs little throughput within a process.
"""

from __future__ import annotations

import threading

LXML_LOCK = threading.Lock()
