"""``python -m parley``: the same command line as the ``parley`` script (used to start workers
with the interpreter of the running ``parley up``)."""

from parley.entry import main

main()
