"""The one Faust app of orderflow, configured from :mod:`pipeline.settings`.

Agents, tables and web views register themselves on :data:`app` when the
:mod:`agents` package is imported; ``orderflow worker`` does that and runs it.
"""
from __future__ import annotations

from time import monotonic
from typing import Any, MutableMapping

import faust
from faust.types import TP
from mode.utils.objects import cached_property

from pipeline.eos import FlowControl, OrderedAttachments, Transport
from pipeline.eos.store_memory import MIB, TableMemory
from pipeline.serde import SchemaRegistry
from pipeline.settings import Settings

APP_ID = "orderflow"
#: Records one poll of the consumer hands to the streams.
MAX_POLL_RECORDS = 1_000


class InboundTimes(faust.Sensor):
    """When a stream last took an event of each partition, for Faust's livelock check.

    Every 0.25 s Faust's consumer thread checks each partition that has
    records past its fetch position (under load, or while a transaction of
    the worker's own is open on it) against ``app.monitor.stream_inbound_time``,
    which only the Monitor writes: with the Monitor out of the sensors, 5
    minutes after start (``stream_processing_timeout``) every such check
    logged "Stream has not started processing" with a paragraph of advice.
    This sensor keeps that one mapping up to date, and nothing else.
    """

    def __init__(self, times: MutableMapping[TP, float], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.times = times

    def on_stream_event_in(self, tp: TP, offset: int, stream: Any, event: Any) -> None:
        self.times[tp] = monotonic()


class App(faust.App):
    """A :class:`faust.App` on the exactly-once transport of :mod:`pipeline.eos`."""

    def __init__(self, *args, table_memory: TableMemory | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._attachments = OrderedAttachments(self)
        #: The memory budget of all its table stores (:mod:`pipeline.eos.store_memory`).
        self.table_memory = table_memory or TableMemory()
        #: Topics whose attached messages travel in bundles (:mod:`pipeline.serde.bundle`).
        self.bundled_topics: set[str] = set()

    def _new_transport(self) -> Transport:
        return Transport(self.conf.broker_consumer, self)

    @cached_property
    def flow_control(self) -> FlowControl:
        """Faust's flow control of the streams, without emptying their buffers
        while the flow runs (:mod:`pipeline.eos.flow`)."""
        return FlowControl(loop=self.loop)

    def on_init_dependencies(self):
        """Faust's services, without its Monitor among the sensors.

        Faust always adds its Monitor to the sensors here (no setting leaves
        it out; the ``Monitor`` setting only swaps its class), and feeds it
        every message in and out, every stream event, table get and set and
        send: about ten calls an order event, each updating dicts, deques and
        timestamps, plus a sampler task each second. What reads them is
        Faust's debug ``/stats`` page, which a worker does not serve; the
        counts a worker reports are :mod:`pipeline.metrics`' Prometheus
        metrics. Without it the saga worker spent ~9% less CPU per order
        (2.03 -> 1.84 s per 1,000 orders, runs in turn; README, Performance).
        ``app.monitor`` itself stays, for the few direct calls Faust's
        consumer makes to it, and :class:`InboundTimes` keeps the one thing
        of it that Faust's livelock check reads.
        """
        services = super().on_init_dependencies()
        self.sensors.remove(self.monitor)
        self.sensors.add(InboundTimes(self.monitor.stream_inbound_time))
        return services


def create_app(settings: Settings) -> App:
    """Build the app; nothing connects until a worker starts it."""
    return App(
        APP_ID,
        broker=[f"kafka://{server.strip()}" for server in settings.bootstrap_servers.split(",")],
        store="rocksdb://",
        Table="pipeline.eos.tables:TransactionalTable",
        TableManager="pipeline.eos.manager:TableManager",
        Stream="pipeline.eos.stream:Stream",
        datadir=str(settings.data_dir),
        processing_guarantee="exactly_once",
        # Outputs and changelog writes are attached to their source event and
        # published when its offset commits (pipeline.eos.transport).
        stream_publish_on_commit=True,
        topic_partitions=settings.partitions,
        topic_replication_factor=settings.replication_factor,
        table_standby_replicas=settings.standby_replicas,
        consumer_auto_offset_reset="earliest",
        # Outputs become visible when their transaction commits, so the commit
        # interval bounds the latency of each saga step.
        broker_commit_interval=settings.commit_interval,
        broker_commit_every=10_000,
        # Faust's default (None) hands over everything a fetch returned, up to
        # 1 MiB per partition: behind a backlog of small records that is
        # ~300,000 records decoded at once, ~150 MiB of Python objects whose
        # heap stays fragmented once they are gone. The rest of a fetch waits
        # in the consumer as raw bytes.
        broker_max_poll_records=MAX_POLL_RECORDS,
        # A dead worker's partitions move after this long (Faust's default is 60 s).
        broker_session_timeout=settings.session_timeout,
        producer_linger_ms=5,
        producer_acks=-1,
        web_port=settings.web_port,
        web_bind="0.0.0.0",
        web_host=settings.web_host,
        web_in_thread=False,
        table_memory=TableMemory(settings.table_memtables_mib * MIB, settings.table_cache_mib * MIB),
    )


settings = Settings.from_env()
app = create_app(settings)
registry = SchemaRegistry(settings.registry_url)
