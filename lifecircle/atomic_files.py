"""Atomic file writes shared by every writer (maps, reports, study outputs, network cache).

A file is written to a temporary path in the destination folder and renamed over the
destination with :func:`os.replace`, so readers (and a run killed midway) see either the old
file or the complete new one, never half of it. Temporary files get the permissions a normal
file would (mode ``0o666`` minus the umask), not ``mkstemp``'s private ``0o600``.
"""

from __future__ import annotations

import errno
import glob
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

__all__ = [
    "atomic_path",
    "check_destination",
    "prepare_destination",
    "write_bytes_atomic",
    "write_text_atomic",
]


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``.

    The temporary path keeps ``path``'s suffix (GDAL picks drivers by suffix) and does not
    exist yet when yielded. Parent folders are created. On any error the temporary file is
    removed and ``path`` is left untouched.

    Parameters
    ----------
    path : path-like
        The destination file.

    Yields
    ------
    pathlib.Path
        Where to write the new content.
    """
    path = prepare_destination(path)
    try:
        fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}",
                                    dir=path.parent)  # fmt: skip
    except OSError as exc:
        raise _named(exc, path) from None
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # some writers (GDAL) refuse to open an existing empty file
    try:
        yield tmp
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else _default_mode())
        os.replace(tmp, path)
    except OSError as exc:
        # name the user's file, not the temporary one; a failed write() (disk full) has none
        if exc.filename in (str(tmp), tmp, None):
            raise _named(exc, path) from exc
        raise
    finally:
        _remove_staged(tmp)


def prepare_destination(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` can become a file and create its folder; return it as a Path.

    Writers call this before long work, so a bad output path fails first, not last.

    Raises
    ------
    OSError
        Naming ``path``: it is a folder, a file stands where one of its folders should
        be, or its folder cannot be created.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder; give a file name", str(path))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise NotADirectoryError(
            errno.ENOTDIR, "cannot create the file: a file stands where a folder should be",
            str(path),
        ) from None  # fmt: skip
    except OSError as exc:
        raise _named(exc, path) from None
    return path


def check_destination(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` could become a file, creating nothing; return it as a Path.

    Commands call this before long work, so a bad output path fails first, and a run that
    fails later leaves no empty folder behind (:func:`atomic_path` creates the folders).

    Raises
    ------
    OSError
        Naming ``path``: it is a folder, a file stands where one of its folders should be,
        or the nearest existing folder cannot be written to.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a folder; give a file name", str(path))
    for parent in path.parents:
        if not parent.exists():
            continue
        if not parent.is_dir():
            raise NotADirectoryError(
                errno.ENOTDIR, "cannot create the file: a file stands where a folder should be",
                str(path),
            )  # fmt: skip
        if not os.access(parent, os.W_OK | os.X_OK):
            raise _named(PermissionError(errno.EACCES, "permission denied"), path)
        break
    return path


def _remove_staged(tmp: Path) -> None:
    """Remove the temporary file, its sidecars (``.dbf``...) or a folder a writer made."""
    if tmp.is_dir():  # e.g. GDAL writing a suffix-less path as a shapefile folder
        shutil.rmtree(tmp, ignore_errors=True)
    tmp.unlink(missing_ok=True)
    for sidecar in tmp.parent.glob(glob.escape(tmp.stem) + ".*"):
        sidecar.unlink(missing_ok=True)


#: What to do about the usual reasons a write fails.
_FIXES = {
    errno.ENOSPC: "the disk is full; free some space or write to another disk",
    errno.EDQUOT: "your disk quota is used up; free some space or write to another disk",
    errno.EACCES: "permission denied; choose a folder you may write to",
    errno.EPERM: "permission denied; choose a folder you may write to",
    errno.EROFS: "the disk is read-only; write to another folder",
}


def _named(exc: OSError, path: Path) -> OSError:
    """The same error about ``path`` (not the temporary file), e.g. for ``error: PATH: ...``."""
    reason = _FIXES.get(exc.errno or 0, exc.strerror or str(exc))
    return type(exc)(exc.errno, f"cannot write here: {reason}", str(path))


def write_bytes_atomic(path: str | os.PathLike[str], writer: Callable[[IO[bytes]], object]) -> Path:
    """Write a file atomically through ``writer``, which receives an open binary file.

    The data is flushed and synced to disk before the rename. Returns the destination.
    """
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        writer(handle)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(path)


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` as UTF-8 (``\\n`` line ends) atomically; create parent folders."""
    return write_bytes_atomic(path, lambda handle: handle.write(text.encode("utf-8")))
