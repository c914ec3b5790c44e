"""Self-registration (a newcomer applies, the grid's staff decide) and SMS invites (issue 14)."""
