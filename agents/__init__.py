"""The saga's Faust agents, tables and web views.

Importing this package registers all of them on :data:`pipeline.app.app`:
``ingest`` (routing and dead letters), ``orders``, ``inventory``,
``payments``, ``order_status``, the HTTP ``web`` views, ``analytics``, and
the metrics of :mod:`pipeline.metrics` (``GET /metrics``).
"""
from agents import codecs  # noqa: F401  (registers the table value codecs first)
from agents import analytics, ingest, inventory, order_status, orders, payments, web  # noqa: F401
from pipeline import metrics
from pipeline.app import app, settings

metrics.install(app, settings.bootstrap_servers)

__all__ = ["app"]
