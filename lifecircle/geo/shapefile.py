"""Check a Shapefile's sidecar files before GDAL reads it.

A Shapefile is several files. GDAL, missing one of them, either fails with a message
about configuration options (no ``.shx``), silently drops every attribute (no ``.dbf``),
silently leaves the layer without a CRS (no ``.prj``) or silently decodes Chinese
attributes as Latin-1 (no ``.cpg`` and no code page in the ``.dbf``). Here each case
gets a sentence naming the missing file and the fix; the text encoding of a ``.dbf``
without a declared code page is detected like a CSV's
(:func:`lifecircle.geo.encoding.detect_encoding`). Zipped Shapefiles are inspected
inside the archive without extracting it (at most :data:`DBF_SAMPLE_BYTES` of the
``.dbf`` are read).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from lifecircle.geo.encoding import detect_encoding

__all__ = ["ShapefileCheck", "check_shapefile"]

#: Bytes of a ``.dbf`` read to detect its text encoding.
DBF_SAMPLE_BYTES = 1 << 20


@dataclass
class ShapefileCheck:
    """What :func:`check_shapefile` found."""

    problems: list[str] = field(default_factory=list)
    missing_prj: bool = False
    encoding: str | None = None
    #: GDAL path of a Shapefile in a folder of a zip (GDAL looks only at the zip's root).
    gdal_path: str | None = None


def _dbf_text(data: bytes) -> bytes:
    """Field names and records of a ``.dbf`` (one line each), without the binary header."""
    if len(data) < 32:
        return b""
    header_len = int.from_bytes(data[8:10], "little")
    record_len = int.from_bytes(data[10:12], "little")
    names = []
    for pos in range(32, min(header_len, len(data)) - 31, 32):
        if data[pos : pos + 1] == b"\r":
            break
        names.append(data[pos : pos + 11].split(b"\x00", 1)[0])
    lines = [b",".join(names)]
    if record_len > 0:
        body = data[header_len:]
        lines += [
            body[i : i + record_len] for i in range(0, len(body) - record_len + 1, record_len)
        ]
    return b"\n".join(lines)


def _dbf_encoding(data: bytes, name: str) -> str | None:
    """The encoding to read a ``.dbf`` with, when it declares none (None: GDAL decides)."""
    if len(data) < 32 or data[29] != 0:
        return None  # a language driver id (code page) is set: GDAL honours it
    text = _dbf_text(data)
    if text.isascii():
        return None
    return detect_encoding(text, name)


def _siblings(names: list[str], shp: str) -> dict[str, str]:
    """``{".dbf": "roads.DBF", ...}``: the sidecars next to ``shp`` (any letter case)."""
    stem = shp[: -len(PurePosixPath(shp).suffix)].lower()
    found: dict[str, str] = {}
    for other in names:
        suffix = PurePosixPath(other).suffix.lower()
        if other[: -len(suffix) or None].lower() == stem and suffix:
            found[suffix] = other
    return found


def _missing(found: dict[str, str], shp_name: str, stem: str) -> list[str]:
    problems = []
    for suffix, what in ((".shx", "index"), (".dbf", "attribute table")):
        if suffix not in found:
            problems.append(
                f"the Shapefile's {what} {stem}{suffix} is missing next to {shp_name}; a "
                "Shapefile is several files (.shp, .shx, .dbf, usually .prj and .cpg): copy "
                "all of them together, or send it as one zip or GeoPackage"
            )
    return problems


def check_shapefile(path: Path, *, encoding: str | None) -> ShapefileCheck:
    """Check a ``.shp`` file, or every Shapefile inside a ``.zip``.

    Parameters
    ----------
    path : pathlib.Path
        A ``.shp`` or ``.zip`` file.
    encoding : str, optional
        The user's ``encoding=`` (no detection when given).

    Returns
    -------
    ShapefileCheck
        Problems (missing ``.shx``/``.dbf``), whether a ``.prj`` is missing, and the
        detected encoding of a ``.dbf`` that declares none.

    Raises
    ------
    lifecircle.errors.LayerError
        When the ``.dbf`` text encoding is doubtful (names ``encoding=``).
    """
    check = ShapefileCheck()
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
                shps = [n for n in names if n.lower().endswith(".shp")]
                for shp in shps[:1]:
                    if "/" in shp:
                        check.gdal_path = f"/vsizip/{path}/{shp}"
                    found = _siblings(names, shp)
                    stem = PurePosixPath(shp).stem
                    check.problems += _missing(found, PurePosixPath(shp).name, stem)
                    check.missing_prj = ".prj" not in found
                    if encoding is None and ".cpg" not in found and ".dbf" in found:
                        with archive.open(found[".dbf"]) as dbf:
                            data = dbf.read(DBF_SAMPLE_BYTES)
                        check.encoding = _dbf_encoding(data, path.name)
        except zipfile.BadZipFile:
            return check  # GDAL's own message says the archive is damaged
        return check
    names = [p.name for p in path.parent.iterdir()] if path.parent.is_dir() else []
    found = _siblings(names, path.name)
    check.problems += _missing(found, path.name, path.stem)
    check.missing_prj = ".prj" not in found
    if encoding is None and ".cpg" not in found and ".dbf" in found:
        with (path.parent / found[".dbf"]).open("rb") as dbf:
            check.encoding = _dbf_encoding(dbf.read(DBF_SAMPLE_BYTES), path.name)
    return check
