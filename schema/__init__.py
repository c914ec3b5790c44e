"""The GraphQL graph: Strawberry types and resolvers mapping GraphQL to :mod:`services`."""
