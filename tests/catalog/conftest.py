"""The exchange fixtures (a stocked community C1, a frozen clock) shared with tests/redemptions."""

from tests.redemptions.conftest import move, shop

__all__ = ["move", "shop"]
