"""Events: written to an outbox in the same transaction as the change, then published to Redis."""
