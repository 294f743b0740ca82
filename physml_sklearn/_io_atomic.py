"""Files and folders written whole or not at all.

A file is written under a temporary name in its own folder, flushed to the
disk (``fsync``) and renamed over the final name with :func:`os.replace`,
which is atomic on POSIX and Windows within one file system: a reader sees
the old file or the new one, never a mix, and two writers to one path leave
one of their files, intact. A folder is filled under a temporary name beside
its final place and renamed into place the same way. On any failure,
``KeyboardInterrupt`` and other signals included, the temporary file or
folder is removed and the final path is left as it was.

Only the standard library is imported, so that any module can use it.
"""

# Authors: The physml_sklearn developers
# SPDX-License-Identifier: BSD-3-Clause

import contextlib
import errno
import os
import shutil
import signal
import tempfile
from pathlib import Path

__all__ = ["atomic_folder", "atomic_path", "write_bytes", "write_text"]


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _fsync_file(path):
    with open(path, "rb+") as file:
        os.fsync(file.fileno())


def _fsync_folder(path):
    if os.name != "posix":  # Windows cannot open a folder
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _naming_path(error, path):
    """An ``OSError`` whose message names ``path`` (``[Errno 28]`` alone does not)."""
    detail = " ".join(str(error).split()) or type(error).__name__
    if str(path) in detail:
        return error
    if error.errno is not None:
        detail = detail.removeprefix(f"[Errno {error.errno}] ")
        return OSError(error.errno, f"cannot write {path}: {detail}")
    return OSError(f"cannot write {path}: {detail}")


def nearest_existing(path):
    """``path`` or the nearest of its parents that exists."""
    place = Path(path).absolute()
    while not place.exists() and place != place.parent:
        place = place.parent
    return place


def _refuse_missing_folder(path):
    """Say why the folder of ``path`` cannot take it: a file on the way, or no folder."""
    place = nearest_existing(path.parent)
    if place.exists() and not place.is_dir():
        raise NotADirectoryError(
            errno.ENOTDIR, f"cannot write {path}: {place} is a file, not a folder")
    raise FileNotFoundError(
        errno.ENOENT, f"cannot write {path}: the folder {path.parent} does not exist; "
        "create it first")


def _in_final_folder(error, temporary, path):
    """The same ``OSError`` with the temporary folder's name replaced by the final one."""
    text = " ".join(str(error).split())
    if str(temporary) not in text:
        return error
    text = text.replace(str(temporary), str(path))
    if error.errno is not None:
        return OSError(error.errno, text.removeprefix(f"[Errno {error.errno}] "))
    return OSError(text)


def _remove(path):
    with contextlib.suppress(OSError):
        if Path(path).is_dir() and not Path(path).is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.unlink(path)


@contextlib.contextmanager
def _signals_held():
    """Delay SIGINT and SIGTERM until the block ends (a rename pair is not cut in half)."""
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, ValueError, OSError):  # no POSIX signal masks
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


@contextlib.contextmanager
def atomic_path(path):
    """A temporary path in the folder of ``path``, renamed to ``path`` when the block ends.

    The block writes the temporary file by any means (a library call that
    takes a path, ``open``...). When it ends without an exception the file is
    flushed to the disk and renamed to ``path`` in one step; on any exception
    it is removed and ``path`` keeps its old content, if it had one. An
    ``OSError`` (a full disk, a missing permission) is raised again with
    ``path`` in its message.

    Parameters
    ----------
    path : str or path-like
        The final file. Its folder must exist.

    Yields
    ------
    temporary : pathlib.Path
        A new, empty file beside ``path``, named ``.NAME.XXXXXXXX.tmpSUFFIX``
        so that a writer that looks at the suffix sees the final one.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from physml_sklearn._io_atomic import atomic_path
    >>> folder = Path(tempfile.mkdtemp())
    >>> with atomic_path(folder / "table.csv") as tmp:
    ...     _ = tmp.write_text("x,y\\n1,2\\n")
    >>> (folder / "table.csv").read_text()
    'x,y\\n1,2\\n'
    >>> sorted(p.name for p in folder.iterdir())
    ['table.csv']
    """
    path = Path(path)
    # said before anything is written, and without the temporary file's name
    if path.is_dir():
        raise IsADirectoryError(
            errno.EISDIR, f"cannot write {path}: it is a folder; pass the path of a file "
            "to write, in that folder or elsewhere")
    if not path.parent.is_dir():
        _refuse_missing_folder(path)
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.",
                                    suffix=f".tmp{path.suffix}")
    except OSError as error:
        raise _naming_path(error, path) from error
    os.close(fd)
    temporary = Path(name)
    try:
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private
        yield temporary
        _fsync_file(temporary)
        os.replace(temporary, path)
        _fsync_folder(path.parent)
    except OSError as error:
        _remove(temporary)
        raise _naming_path(error, path) from error
    except BaseException:
        _remove(temporary)
        raise


def write_bytes(path, data):
    """Write ``data`` to ``path`` whole or not at all (see :func:`atomic_path`).

    Parameters
    ----------
    path : str or path-like
        The final file.
    data : bytes
        Its content.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from physml_sklearn._io_atomic import write_bytes
    >>> write_bytes(Path(tempfile.mkdtemp()) / "a.bin", b"abc").read_bytes()
    b'abc'
    """
    path = Path(path)
    with atomic_path(path) as temporary:
        temporary.write_bytes(data)
    return path


def write_text(path, text):
    """Write ``text`` (UTF-8) to ``path`` whole or not at all (see :func:`atomic_path`).

    Parameters
    ----------
    path : str or path-like
        The final file.
    text : str
        Its content.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from physml_sklearn._io_atomic import write_text
    >>> write_text(Path(tempfile.mkdtemp()) / "run.json", "{}").read_text()
    '{}'
    """
    return write_bytes(path, text.encode("utf-8"))


def _swap_in(temporary, path, *, replace):
    """Rename the folder ``temporary`` to ``path``; an old ``path`` only with ``replace``."""
    with _signals_held():
        try:
            os.rename(temporary, path)  # also replaces an empty folder
            return
        except OSError as error:
            if not path.exists():
                raise
            if not replace:
                raise FileExistsError(
                    f"{path} was filled by another program during the run"
                ) from error
        old = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.old-"))
        os.rename(path, old)  # onto the empty folder just made
        try:
            os.rename(temporary, path)
        except BaseException:
            os.rename(old, path)
            raise
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def atomic_folder(path, *, replace=False):
    """A temporary folder beside ``path``, renamed to ``path`` when the block ends.

    The folder is made in the parent of ``path`` (the same file system, so the
    rename is atomic). When the block ends without an exception it is renamed
    to ``path``; with ``replace=True`` an existing ``path`` is replaced then,
    and only then. On any exception the temporary folder and everything in it
    are removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str or path-like
        The final folder; its parents are created when missing.
    replace : bool, default=False
        Replace a non-empty ``path`` (an empty one is always replaced). With
        ``False`` a non-empty ``path`` at the end raises ``FileExistsError``.

    Yields
    ------
    temporary : pathlib.Path
        The folder to fill, ``.NAME.partial-XXXXXXXX`` beside ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from physml_sklearn._io_atomic import atomic_folder
    >>> parent = Path(tempfile.mkdtemp())
    >>> with atomic_folder(parent / "run") as tmp:
    ...     _ = (tmp / "a.txt").write_text("a")
    >>> sorted(p.name for p in parent.iterdir())
    ['run']
    >>> (parent / "run" / "a.txt").read_text()
    'a'
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.partial-"))
    except OSError as error:
        raise _naming_path(error, path) from error
    try:
        try:
            yield temporary
        except OSError as error:  # name the file where the user will look for it
            raise _in_final_folder(error, temporary, path) from error
        try:
            os.chmod(temporary, 0o777 & ~_umask())  # mkdtemp made it private
            _fsync_folder(temporary)
            _swap_in(temporary, path, replace=replace)
            _fsync_folder(path.parent)
        except OSError as error:
            raise _naming_path(error, path) from error
    except BaseException:
        _remove(temporary)
        raise
