"""Volunteer recruitment orders (招募令) and the claims people make on them."""
