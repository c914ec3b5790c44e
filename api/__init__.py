"""The HTTP edge: app factory, settings, embedded servers, request context and the CLI."""
