"""Redemptions: one basket, one hold, a pickup code; write-off, cancel, expiry."""
