"""Input paths: one wording for a file that cannot be read, wherever it is read.

Every reader asks :func:`input_file_problem` before it opens a file, so a folder, a named
pipe (which would block the reader forever), a device, a symbolic-link loop or an
unreadable file get a sentence that says what the path is — never a misleading
"file not found" and never a hang.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

__all__ = ["input_file_problem"]

_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def input_file_problem(path: Path) -> str | None:
    """Return why ``path`` cannot be read as a file, or None when it is a readable file.

    ``"file not found"`` when nothing is there (also a link to nothing),
    ``"is a folder, expected a file"`` for a directory, ``"is not a regular file (a named
    pipe (FIFO))"``-style wording for pipes, devices and sockets, ``"is not a regular file
    (a symbolic link that loops back on itself)"`` for a link loop and ``"cannot be read
    (permission denied)"`` for a file the user may not read.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            return "file not found (a symbolic link to a missing file)"
        return "file not found"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is not a regular file (a symbolic link that loops back on itself)"
        if exc.errno in (errno.EACCES, errno.EPERM):
            return "cannot be read (permission denied on its folder)"
        if exc.errno == errno.ENOTDIR:
            return "file not found (a part of the path is a file, not a folder)"
        return f"cannot be read ({exc.strerror or exc.__class__.__name__})"
    if stat.S_ISDIR(info.st_mode):
        return "is a folder, expected a file"
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _KINDS if test(info.st_mode)), "a special file")
        return f"is not a regular file ({kind}); expected a file of data"
    if not os.access(path, os.R_OK):
        return "cannot be read (permission denied)"
    return None
