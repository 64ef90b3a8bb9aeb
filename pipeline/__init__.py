"""orderflow: an event-driven order pipeline on Faust.

The library half of the project: settings, the Avro serde, metrics, the local
stack and the command line. The Faust agents and tables live in :mod:`agents`.
"""
from pipeline.settings import Settings, settings

__all__ = ["Settings", "settings"]
