"""Helpers shared by integration tests: worker processes, events, outcomes."""
