"""``GET /metrics``: the registry in Prometheus text format."""
from __future__ import annotations

from faust.web import Request, Response, View
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from pipeline.metrics.registry import REGISTRY


class MetricsView(View):
    async def get(self, request: Request) -> Response:
        # Passed as a header: aiohttp refuses a content_type that carries a charset.
        return self.bytes(generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})
