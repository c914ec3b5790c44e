"""Business rules of GridPoints.

Each domain is a package holding its SQLAlchemy models, its queries and its service functions.
Nothing here imports Strawberry, Starlette or anything from ``schema/`` or ``api/``.
A service function takes the session and the acting user first, keyword arguments after; it checks
permission, does its work inside the caller's transaction (it never commits) and returns domain
objects or raises :class:`services.errors.DomainError`. A DomainError may leave the function's
partial writes in the session: the caller rolls them back (``schema.mutations.perform`` runs each
mutation in a savepoint for exactly that).
"""
