"""``GET /metrics``: the registry in the format the scraper asks for (Prometheus text by default)."""
from __future__ import annotations

from faust.web import Request, Response, View
from prometheus_client.exposition import choose_encoder

from pipeline.metrics.registry import REGISTRY


class MetricsView(View):
    async def get(self, request: Request) -> Response:
        encode, content_type = choose_encoder(request.headers.get("Accept", ""))
        # Passed as a header: aiohttp refuses a content_type argument that carries a charset.
        return self.bytes(encode(REGISTRY), headers={"Content-Type": content_type})
