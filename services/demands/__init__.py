"""Resident demands: report, accept, escalate, summon departments, close (flow 4)."""
