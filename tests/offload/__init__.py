"""Offloading: the fetch and command consumers, and end to end through runworker."""
