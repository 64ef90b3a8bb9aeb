"""The table manager of the exactly-once app: commits, abandons and recovers.

Under ``exactly_once`` Faust keeps each table's changelog offset pending
until "its partition" commits, but looks it up by the *source* partition
that committed, under which it never filed it: the offset is never
persisted, and every start restores every table from the first changelog
record. Here a commit of source partition ``p`` publishes the last buffered
write of each key below its commit offset as the tables' changelog records
(:meth:`TableManager.changelogs`), applies those writes once it has
committed (:mod:`pipeline.eos.buffer`), and then persists the offset of the
changelog records that went into its transaction, changelog partition ``p``
(tables are co-partitioned with their sources, and one transaction covers
partition ``p`` of every topic).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

from faust.tables import TableManager as _TableManager
from faust.types import TP

from pipeline.eos.recovery import Recovery


class TableManager(_TableManager):
    """Faust's table manager with :class:`Recovery` and transactional store writes."""

    @property
    def recovery(self) -> Recovery:
        if self._recovery is None:
            self._recovery = Recovery(self.app, self, beacon=self.beacon, loop=self.loop)
        return self._recovery

    def changelogs(self, offsets: Mapping[TP, int]) -> list[tuple[Any, dict]]:
        """``(table, its changelog records)`` of the events below ``offsets``, for each table whose
        store's writes are its changelog (see :meth:`pipeline.eos.buffer.BufferedStore.changelog`)."""
        found = []
        for table in self.values():
            if getattr(table, "changelog_from_store", False):
                records = table.data.changelog(offsets)
                if records:
                    found.append((table, records))
        return found

    def on_commit(self, offsets: Mapping[TP, int], changelogs: Optional[list[tuple[Any, dict]]] = None) -> None:
        """Apply the buffered writes below ``offsets``, whose transactions committed.

        ``changelogs`` is what :meth:`changelogs` gave for these offsets when
        they were published, so that the stores need not look for the last
        write of each key again (~4% of a busy worker did); without it they do.
        """
        published = None if changelogs is None else {id(table): records for table, records in changelogs}
        for table in self.values():
            if published is None or not getattr(table, "changelog_from_store", False):
                table.data.commit(offsets)
            else:
                table.data.commit(offsets, published.get(id(table), {}))
        partitions = {tp.partition for tp in offsets}
        for changelog_tp in list(self._pending_persisted_offsets):
            if changelog_tp.partition in partitions:
                store, offset = self._pending_persisted_offsets.pop(changelog_tp)
                store.set_persisted_offset(changelog_tp, offset)

    def discard_uncommitted(self) -> None:
        """Drop the table writes of abandoned transactions, and their changelog offsets."""
        for table in self.values():
            table.data.discard()
        self._pending_persisted_offsets.clear()
