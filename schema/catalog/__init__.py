"""The exchange catalog in the graph: goods, venues and free slots, services and sessions."""

from schema.catalog.mutations import CatalogMutation
from schema.catalog.queries import CatalogQuery
from schema.catalog.types import Goods, Service, ServiceSession, Venue

__all__ = ["CatalogMutation", "CatalogQuery", "Goods", "Service", "ServiceSession", "Venue"]
