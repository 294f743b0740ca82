"""How much memory a read may take, and the refusals of reads that would take too much."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import os
import stat


def available_memory():
    """Bytes of memory this process may still take (None where unknown)."""
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


#: what compressed data (a ROOT basket, a Parquet column chunk or page) may
#: declare beyond twice its values' bytes
SLACK_BYTES = 4096


def refuse_beyond_memory(need, what, advice):
    """MemoryError ``"<what> <need> GB, more than the <free> GB ...<advice>"``."""
    free = available_memory()
    if free is not None and need > free:
        raise MemoryError(
            f"{what} {need / 1e9:.3g} GB, more than the {free / 1e9:.3g} GB of memory "
            f"available{advice}"
        )


def refuse_columns_beyond_memory(where, n_rows, n_columns, row_bytes,
                                 declared="events the file declares"):
    """Refuse reading ``n_columns`` columns of ``n_rows`` rows of ``row_bytes`` bytes
    beyond the free memory (a damaged or hostile file); ``where`` names the file."""
    refuse_beyond_memory(
        int(n_rows) * int(row_bytes),
        f"{where}: reading {n_columns} column(s) of the {int(n_rows):,} {declared} takes",
        ". Read fewer columns, split the file, or check that it is not damaged.",
    )


def refuse_inflation(where, what, declared, n_values, width, values):
    """Refuse data declaring more than twice its values' bytes (+ a slack).

    A decompression bomb: compressed data is inflated whole, to the size it
    declares, before any of its values is checked. ``where`` names the file,
    ``what`` the data, and ``values`` says what the ``n_values`` values of
    ``width`` bytes are, for the message.
    """
    if declared > 2 * n_values * width + SLACK_BYTES:
        raise ValueError(
            f"{where}: {what} declares {declared:,} bytes for {values}: the file is "
            "damaged or built to exhaust memory when decompressed (a decompression "
            "bomb), and is not read."
        )


def not_a_file(path):
    """Why ``path`` is not read (``"no such file"`` or not a regular file), or None.

    Only regular files are read: a device such as ``/dev/zero`` never ends, and
    a named pipe blocks until something writes to it.
    """
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return "no such file"
    if stat.S_ISREG(mode):
        return None
    kind = ("a folder" if stat.S_ISDIR(mode) else "a named pipe" if stat.S_ISFIFO(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket")
    return f"not a regular file but {kind}, which is never read"


def file_identity(path):
    """The file ``path`` names, whatever the spelling: a link, hard or symbolic, to
    it gives the same identity (its device and inode)."""
    status = os.stat(path)
    return status.st_dev, status.st_ino
