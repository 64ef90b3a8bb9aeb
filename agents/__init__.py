"""The saga's Faust agents, tables and web views.

Importing this package registers all of them on :data:`pipeline.app.app`:
``ingest`` (routing and dead letters), ``orders``, ``inventory``,
``payments``, ``order_status`` and the HTTP ``web`` views.
"""
from agents import codecs  # noqa: F401  (registers the table value codecs first)
from agents import ingest, inventory, order_status, orders, payments, web  # noqa: F401
from pipeline.app import app

__all__ = ["app"]
