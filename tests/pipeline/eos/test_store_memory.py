"""All table stores of a worker share one memtable budget, so memory does not grow with keys."""
from __future__ import annotations

import rocksdict

from pipeline.eos.store_memory import MIB, BoundedRocksDBOptions, TableMemory


def memtables(db: rocksdict.Rdict) -> int:
    return db.property_int_value("rocksdb.cur-size-all-mem-tables")


def test_memtables_of_all_stores_stay_within_the_budget(tmp_path):
    budget = TableMemory(memtables=16 * MIB)
    dbs = [rocksdict.Rdict(str(tmp_path / f"p{n}"), BoundedRocksDBOptions(budget, use_rocksdict=True).as_options())
           for n in range(4)]
    value = b"x" * 200
    try:
        for i in range(300_000):  # ~70 MiB of keys and values over 4 stores
            dbs[i % 4][b"sku-%08d" % i] = value
        total = sum(memtables(db) for db in dbs)
        assert total <= budget.memtables, f"{total / MIB:.1f} MiB of memtables"
        assert all(db[b"sku-%08d" % i] == value for i, db in ((i, dbs[i % 4]) for i in range(0, 300_000, 997)))
    finally:
        for db in dbs:
            db.close()
