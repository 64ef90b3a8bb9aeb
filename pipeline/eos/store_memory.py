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
:data:`MEMTABLE_BUDGET`, and one block cache of :data:`BLOCK_CACHE_SIZE`.
Small per-database write buffers keep the arena block each database
allocates small (RocksDB's block is an eighth of the write buffer), so 36
databases fit in the budget.
"""
from __future__ import annotations

import rocksdict
from faust.stores.rocksdb import RocksDBOptions

MIB = 2**20
#: All memtables of all stores of the process together.
MEMTABLE_BUDGET = 24 * MIB
#: One database's memtable is flushed at this size, whatever the budget.
WRITE_BUFFER_SIZE = 2 * MIB
#: Blocks read from the tables' files, for all stores of the process.
BLOCK_CACHE_SIZE = 16 * MIB

_write_buffers = rocksdict.WriteBufferManager(MEMTABLE_BUDGET, False)
_block_cache = rocksdict.Cache(BLOCK_CACHE_SIZE)


class BoundedRocksDBOptions(RocksDBOptions):
    """Faust's RocksDB options (rocksdict driver) on the process-wide memory budget."""

    write_buffer_size = WRITE_BUFFER_SIZE
    max_write_buffer_number = 2

    def as_options(self) -> rocksdict.Options:
        if not self.use_rocksdict:
            raise ValueError("table stores need the rocksdict driver (RocksDB options with a shared budget)")
        options = super().as_options()
        options.set_write_buffer_manager(_write_buffers)
        table_options = rocksdict.BlockBasedOptions()
        table_options.set_bloom_filter(self.bloom_filter_size, block_based=True)
        table_options.set_index_type(rocksdict.BlockBasedIndexType.binary_search())
        table_options.set_block_cache(_block_cache)
        options.set_block_based_table_factory(table_options)
        return options
