"""Seat types, seat snapshots and seat balances (docs/usage.md#seats)."""
