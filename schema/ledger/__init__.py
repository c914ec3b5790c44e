"""The points ledger in the graph: ``myLedger``, ``communityLedger``, adjustments and reversals."""

from schema.ledger.mutations import LedgerMutation
from schema.ledger.queries import LedgerQuery
from schema.ledger.types import LedgerTransfer

__all__ = ["LedgerMutation", "LedgerQuery", "LedgerTransfer"]
