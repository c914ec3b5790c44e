"""The exchange catalog: goods, venues, services and sessions, windows (see :mod:`.models`)."""
