"""RocksDB options that bound the memory of all of a worker's table stores together.

Faust opens one RocksDB database per table partition (36 in the saga
worker: 6 tables x 6 partitions), each with its own memtables of up to
3 x 64 MiB and its own 2 GiB block cache. A memtable is only flushed to
disk when it reaches 64 MiB, so until then every key written lives in
memory: with 1,000,000 skus the inventory and its ledger held ~180 MiB of
memtables (about 190 bytes per sku), and the worker's RSS grew with the
number of skus although the tables are "on disk".

Here every store shares one write buffer manager, which flushes the
memtable being written to once all memtables together reach
:attr:`TableMemory.memtables`, and one block cache of
:attr:`TableMemory.block_cache` (the app's ``table_memory``).
Small per-database write buffers keep the arena block each database
allocates small (RocksDB's block is an eighth of the write buffer), so 36
databases fit in the budget.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import rocksdict
from faust.stores.rocksdb import RocksDBOptions

MIB = 2**20
#: One database's memtable is flushed at this size, whatever the budget.
WRITE_BUFFER_SIZE = 2 * MIB


@dataclass(eq=False)
class TableMemory:
    """The memory budget shared by all table stores of one worker, in bytes."""

    #: All memtables of all stores together (``ORDERFLOW_TABLE_MEMTABLES_MIB``).
    memtables: int = 24 * MIB
    #: Blocks read from the tables' files (``ORDERFLOW_TABLE_CACHE_MIB``).
    block_cache: int = 16 * MIB

    @cached_property
    def write_buffer_manager(self) -> rocksdict.WriteBufferManager:
        return rocksdict.WriteBufferManager(self.memtables, False)

    @cached_property
    def cache(self) -> rocksdict.Cache:
        return rocksdict.Cache(self.block_cache)


class BoundedRocksDBOptions(RocksDBOptions):
    """Faust's RocksDB options (rocksdict driver) on a worker-wide :class:`TableMemory`."""

    write_buffer_size = WRITE_BUFFER_SIZE
    max_write_buffer_number = 2

    def __init__(self, memory: TableMemory, **kwargs) -> None:
        super().__init__(**kwargs)
        self.memory = memory

    def as_options(self) -> rocksdict.Options:
        if not self.use_rocksdict:
            raise ValueError("table stores need the rocksdict driver (RocksDB options with a shared budget)")
        options = super().as_options()
        options.set_write_buffer_manager(self.memory.write_buffer_manager)
        table_options = rocksdict.BlockBasedOptions()
        table_options.set_bloom_filter(self.bloom_filter_size, block_based=True)
        table_options.set_index_type(rocksdict.BlockBasedIndexType.binary_search())
        table_options.set_block_cache(self.memory.cache)
        options.set_block_based_table_factory(table_options)
        return options
