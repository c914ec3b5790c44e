"""Who may do what, decided in one place (:mod:`services.authz.policy`)."""

from services.authz.policy import ALL_UNITS, Actor, Grant, Permission, allows, require, scope

__all__ = ["ALL_UNITS", "Actor", "Grant", "Permission", "allows", "require", "scope"]
