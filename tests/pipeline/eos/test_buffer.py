"""The buffered store: table writes reach RocksDB only once their transaction commits."""
from __future__ import annotations

import weakref
from types import SimpleNamespace

import pytest
from faust.streams import _current_event as _current_event_contextvar
from faust.types import TP

from pipeline.app import App
from pipeline.eos.buffer import BufferedStore

SOURCE = TP("orderflow-stock-commands", 2)
OTHER_SOURCE = TP("orderflow-stock", 2)


@pytest.fixture
def store(tmp_path):
    app = App("buffer-test", broker="memory://", store="rocksdb://", datadir=str(tmp_path),
                    Table="pipeline.eos.tables:TransactionalTable")
    table = app.Table("stock", key_type=str, value_type=None, key_serializer="raw", value_serializer="raw")
    data = table.data
    assert isinstance(data, BufferedStore)
    yield data
    for db in data._dbs.values():
        db.close()


class Event:
    """What the store reads of the current event (Faust keeps a weak reference to it)."""

    def __init__(self, tp: TP, offset: int) -> None:
        self.message = SimpleNamespace(tp=tp, topic=tp.topic, partition=tp.partition, offset=offset)


class At:
    """Run table operations as the agent processing ``tp`` at ``offset`` would."""

    def __init__(self, tp: TP, offset: int) -> None:
        self.event = Event(tp, offset)

    def __enter__(self):
        self.token = _current_event_contextvar.set(weakref.ref(self.event))

    def __exit__(self, *exc) -> None:
        _current_event_contextvar.reset(self.token)


def committed(store: BufferedStore, key: bytes):
    return store._db_for_partition(2).get(key)


def test_a_write_is_read_back_at_once_but_stored_only_when_its_offset_commits(store):
    with At(SOURCE, 5):
        store[b"sku"] = b"3"
        assert store[b"sku"] == b"3"
    assert committed(store, b"sku") is None
    store.commit({SOURCE: 5})  # the commit offset is the next to read: offset 5 is not in it
    assert committed(store, b"sku") is None
    store.commit({SOURCE: 6})
    assert committed(store, b"sku") == b"3"
    with At(SOURCE, 6):
        assert store[b"sku"] == b"3"


def test_abandoned_writes_vanish_and_committed_ones_stay(store):
    with At(SOURCE, 1):
        store[b"sku"] = b"1"
    store.commit({SOURCE: 2})
    with At(SOURCE, 2):
        store[b"sku"] = b"2"
        store[b"new"] = b"x"
    store.discard()
    with At(SOURCE, 2):
        assert store[b"sku"] == b"1"
        assert b"new" not in store
    assert committed(store, b"new") is None


def test_a_newer_uncommitted_write_survives_the_commit_of_an_older_one(store):
    with At(OTHER_SOURCE, 10):
        store[b"sku"] = b"old"
    with At(SOURCE, 3):
        store[b"sku"] = b"new"
    store.commit({OTHER_SOURCE: 11})
    assert committed(store, b"sku") == b"old"
    with At(SOURCE, 4):
        assert store[b"sku"] == b"new"
    store.discard()
    with At(SOURCE, 4):
        assert store[b"sku"] == b"old"


def test_a_deletion_is_buffered_like_a_write(store):
    with At(SOURCE, 1):
        store[b"sku"] = b"1"
    store.commit({SOURCE: 2})
    with At(SOURCE, 2):
        del store[b"sku"]
        assert b"sku" not in store
    assert committed(store, b"sku") == b"1"
    store.commit({SOURCE: 3})
    assert committed(store, b"sku") is None


def test_writes_outside_an_agent_event_are_refused(store):
    with pytest.raises(RuntimeError, match="outside of an agent's event"):
        store[b"sku"] = b"1"


def test_table_get_reads_the_store_once(store, monkeypatch):
    table = store.table
    with At(SOURCE, 1):
        store[b"sku"] = b"1"
    store.commit({SOURCE: 2})
    reads = []
    read = BufferedStore._get
    monkeypatch.setattr(BufferedStore, "_get", lambda self, key: reads.append(key) or read(self, key))
    with At(SOURCE, 2):
        assert table.get("sku") == b"1"
        assert table.get("missing", b"none") == b"none"
        del store[b"sku"]
        assert table.get("sku") is None
    assert reads == [b"sku", b"missing", b"sku"]


async def test_a_table_write_is_encoded_once_for_the_store_and_its_changelog_record(store, monkeypatch):
    table = store.table
    app = table.app
    encoded = []
    encode_value = store._encode_value
    monkeypatch.setattr(store, "_encode_value", lambda value: encoded.append(value) or encode_value(value))
    with At(SOURCE, 1):
        table["sku"] = b"7"
    assert encoded == [b"7"]

    # The buffered write is the changelog record: nothing is attached for it.
    assert app._attachments.take({SOURCE: 2}) == []
    [(partition, key)] = store.changelog({SOURCE: 2})
    assert (partition, key) == (SOURCE.partition, b"sku")
    assert store.changelog({SOURCE: 2})[partition, key][1:] == (SOURCE, b"7")
    assert store._latest[SOURCE.partition] == {b"sku": b"7"}


def records(store: BufferedStore, offsets) -> dict:
    """The changelog records of ``offsets``: ``(partition, key) -> (source, value)``."""
    return {place: found[1:] for place, found in store.changelog(offsets).items()}


def test_a_round_changelogs_the_last_write_of_each_key_below_its_offsets(store):
    with At(SOURCE, 1):
        store[b"sku-1"] = b"5"
        store[b"sku-2"] = b"9"
    with At(OTHER_SOURCE, 7):
        store[b"sku-1"] = b"4"  # written later, from another source partition of the transaction
    with At(SOURCE, 2):
        store[b"sku-2"] = b"8"
        del store[b"sku-3"]
    with At(SOURCE, 3):
        store[b"sku-1"] = b"0"  # not below the commit offset
    offsets = {SOURCE: 3, OTHER_SOURCE: 8}
    assert records(store, offsets) == {
        (2, b"sku-1"): (OTHER_SOURCE, b"4"),
        (2, b"sku-2"): (SOURCE, b"8"),
        (2, b"sku-3"): (SOURCE, None),
    }
    assert records(store, offsets) == records(store, offsets)  # publishing leaves them buffered
    store.commit(offsets)
    assert committed(store, b"sku-1") == b"4" and committed(store, b"sku-2") == b"8"
    assert records(store, offsets) == {}
    assert records(store, {SOURCE: 4}) == {(2, b"sku-1"): (SOURCE, b"0")}


def test_a_commit_writes_only_the_last_value_of_each_key_to_rocksdb(store, monkeypatch):
    written = []
    db = store._db_for_partition(2)

    class CountingDb:
        def write(self, batch):
            written.append(batch.len())
            db.write(batch)

    monkeypatch.setattr(store, "_db_for_partition", lambda partition: CountingDb())
    with At(SOURCE, 1):
        for value in (b"1", b"2", b"3"):
            store[b"sku"] = value
    with At(OTHER_SOURCE, 4):
        store[b"other"] = b"9"
    store.commit({SOURCE: 2, OTHER_SOURCE: 5})
    assert written == [2]
    assert db.get(b"sku") == b"3" and db.get(b"other") == b"9"
    assert not store._writes[SOURCE] and store._latest[SOURCE.partition] == {}


def test_a_commit_applies_the_changelog_its_round_published_without_looking_again(store, monkeypatch):
    with At(SOURCE, 1):
        store[b"sku"] = b"1"
        store[b"sku"] = b"2"
    offsets = {SOURCE: 2}
    published = store.changelog(offsets)
    with At(SOURCE, 2):
        store[b"sku"] = b"7"  # written while the round was on its way: stays buffered

    def searched(offsets):
        raise AssertionError("the published changelog was looked for again")

    monkeypatch.setattr(store, "changelog", searched)
    store.commit(offsets, published)
    assert committed(store, b"sku") == b"2"
    assert store[b"sku"] == b"7" and list(store._writes[SOURCE])[0][0] == 2


def test_a_delete_attaches_nothing_and_is_changelogged_by_the_store(store):
    table = store.table
    with At(SOURCE, 1):
        table["sku"] = b"1"
        del table["sku"]
    assert table.app._attachments.take({SOURCE: 2}) == []
    assert records(store, {SOURCE: 2}) == {(2, b"sku"): (SOURCE, None)}


def test_reads_in_an_event_and_commits_leave_faust_key_index_alone(store):
    """Faust's key index (a lock per entry) serves reads outside an event only, and they do without it."""
    with At(SOURCE, 1):
        store[b"sku"] = b"1"
    store.commit({SOURCE: 2})
    with At(SOURCE, 2):
        assert store[b"sku"] == b"1"
        assert b"missing" not in store
    assert len(store._key_index) == 0
    assert store[b"sku"] == b"1"  # a web query: found through the partitions' bloom filters
    assert b"missing" not in store


def test_a_revocation_collects_garbage_only_when_it_drops_a_database(store, monkeypatch):
    """Faust runs a full gc.collect() per table and rebalance; here only when a database is dropped."""
    from faust.stores import rocksdb

    collections = []
    monkeypatch.setattr(rocksdb.gc, "collect", lambda: collections.append(1))
    changelog = store.table.changelog_topic.get_topic_name()
    store._db_for_partition(2)
    store.revoke_partitions(store.table, set())
    store.revoke_partitions(store.table, {TP(changelog, 4), TP("orderflow-stock-commands", 2)})
    assert collections == [] and 2 in store._dbs
    store.revoke_partitions(store.table, {TP(changelog, 2)})
    assert collections == [1] and 2 not in store._dbs
