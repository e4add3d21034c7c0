"""Whether this install runs without compiled bytecode (a check `serve` makes at start-up).

Its own module, so that the check loads nothing of the web application.
"""

from __future__ import annotations

__all__ = ["bytecode_missing"]


def bytecode_missing() -> bool:
    """True when this install has no compiled bytecode and may not write any: then every start
    compiles every module again (about 4x slower imports; `make install` compiles it)."""
    import importlib.util
    import sys
    from pathlib import Path

    import gapwatch

    if not sys.dont_write_bytecode:
        return False
    return not Path(importlib.util.cache_from_source(gapwatch.__file__)).exists()
