"""The cyclic garbage collector, tuned for a long-lived server holding thousands of sockets.

With 2,000 sockets open, CPython 3.11's default thresholds ran a full (generation 2) collection
every few seconds while events flowed, and each walked every tracked object of the process:
pauses of 100 ms to 1 s, the whole event loop stopped (bench/subs: the ordinary queries' p99
was one such pause). Two changes, what Instagram and others do for such servers:

- :func:`gc.freeze` once the app is built: the imported modules, the compiled GraphQL schema
  and SQLAlchemy's mappers (most of the process's objects, all of them immortal in practice)
  move to the permanent generation, and no collection walks them again.
- a larger first threshold (many short-lived objects per request die by reference counting
  before a collection looks at them, so fewer survive into the older generations and a full
  collection, which also waits until a quarter of the long-lived objects are new, comes rarely).

Only ``gridpoints serve`` calls :func:`tune`; tests and the CLI keep CPython's defaults.
"""

from __future__ import annotations

import gc

THRESHOLDS = (10_000, 10, 10)  # CPython's: (700, 10, 10)


def tune() -> None:
    gc.collect()  # what start-up left for the collector, before the rest is frozen
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
