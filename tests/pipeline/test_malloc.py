"""The C heap's free pages go back to the system."""
from __future__ import annotations

import ctypes
import ctypes.util

from pipeline import malloc


def test_trim_runs_where_the_c_library_has_malloc_trim():
    has_trim = hasattr(ctypes.CDLL(ctypes.util.find_library("c")), "malloc_trim")
    assert malloc.trim() is has_trim
