"""Keep a worker from restoring tables on top of aborted writes.

A table write reaches the local RocksDB store at once, but its changelog
record only counts once the transaction commits. A worker killed between the
two leaves writes in its store that the changelog (read ``read_committed``)
never had, and Faust resumes restoring from the offset persisted next to
them. So a marker file lives in the data directory while the worker runs;
finding it at start means the last run did not stop cleanly, and the local
tables are deleted to be rebuilt from their changelogs.
"""
from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)


class LocalStateGuard:
    """The marker of a running worker around its table directory."""

    def __init__(self, tabledir: Path) -> None:
        self.tabledir = Path(tabledir)
        self.marker = self.tabledir.parent / "worker.running"

    def acquire(self) -> bool:
        """Mark the store in use; wipe it first if the last run crashed.

        Returns True when local state had to be discarded.
        """
        wiped = False
        if self.marker.exists() and self.tabledir.exists():
            log.warning(
                "last worker run did not stop cleanly: rebuilding tables in %s "
                "from their changelogs", self.tabledir,
            )
            shutil.rmtree(self.tabledir)
            wiped = True
        self.marker.parent.mkdir(parents=True, exist_ok=True)
        self.marker.write_text(str(os.getpid()))
        return wiped

    def release(self) -> None:
        """The worker stopped cleanly: its store matches the committed changelog."""
        self.marker.unlink(missing_ok=True)
