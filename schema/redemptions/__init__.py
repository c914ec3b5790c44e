"""Redemptions in the graph: checkout, my redemptions and codes, write-off, staff queues."""

from schema.redemptions.mutations import RedemptionMutation
from schema.redemptions.queries import RedemptionQuery
from schema.redemptions.types import Redemption

__all__ = ["Redemption", "RedemptionMutation", "RedemptionQuery"]
