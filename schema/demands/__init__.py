"""GraphQL for resident demands."""
