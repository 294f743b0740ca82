"""How much memory a read may take."""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import os


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
