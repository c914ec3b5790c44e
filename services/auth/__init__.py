"""Accounts: passwords (Argon2), opaque session tokens in Redis, sign-in rate limits."""
