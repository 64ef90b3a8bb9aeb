"""The table manager hands each store the changelog records its round published."""
from __future__ import annotations

from faust.types import TP

from pipeline.app import App

SOURCE = TP("orderflow-stock-commands", 2)


def test_each_table_applies_its_published_records_and_a_table_without_any_applies_nothing(tmp_path):
    app = App("manager-test", broker="memory://", store="rocksdb://", datadir=str(tmp_path),
              Table="pipeline.eos.tables:TransactionalTable", TableManager="pipeline.eos.manager:TableManager")
    stock = app.Table("stock", key_type=str, value_type=None, key_serializer="raw", value_serializer="raw")
    ledger = app.Table("ledger", key_type=str, value_type=None, key_serializer="raw", value_serializer="raw")
    applied = {}
    for table in (stock, ledger):
        table.data.commit = lambda offsets, last=None, name=table.name: applied.setdefault(name, (offsets, last))
    records = {(2, b"sku"): (1, SOURCE, b"3")}
    app.tables.on_commit({SOURCE: 4}, [(stock, records)])
    assert applied == {"stock": ({SOURCE: 4}, records), "ledger": ({SOURCE: 4}, {})}
    applied.clear()
    app.tables.on_commit({SOURCE: 5})  # nothing published for these offsets: each store looks
    assert applied == {"stock": ({SOURCE: 5}, None), "ledger": ({SOURCE: 5}, None)}
