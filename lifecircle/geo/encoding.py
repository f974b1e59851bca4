"""Find the text encoding of a CSV/TXT file, and refuse to guess when it is doubtful.

Why this exists: the same bytes decode "successfully" in several encodings. A Latin-1
"Müller Straße" is valid GB18030 (it reads as rare Chinese characters), and almost every
Big5 file is valid GB18030 too — a reader that tries encodings until one does not fail
silently turns names into mojibake. So the decision is made on *what the text looks like*:

1. A byte-order mark decides (UTF-8, UTF-16 — Excel's "Unicode text" export — UTF-32);
   so does UTF-16 without one (every other byte NUL).
2. Text that is valid UTF-8 is UTF-8 (legacy encodings almost never form valid UTF-8
   sequences by chance).
3. Otherwise each legacy candidate — GB18030 (a superset of GBK/GB2312, what Chinese
   Excel writes), Big5 (繁體中文) and Windows-1252/Latin-1 (Western European) — decodes
   the lines that hold non-ASCII bytes, and is scored by how ordinary the decoded
   characters are in that script: GB2312's level-1 hanzi (the 3,755 most frequent
   simplified characters) for GB18030, Big5's 5,401 "frequent" characters for Big5,
   letters inside words for Latin text. Mojibake lands on rare characters, kana,
   private-use codes or runs of accented capitals. The score is multiplied by
   ``1 - chaos`` from charset-normalizer (its "mess" measure).
4. The best candidate is used when it scores at least :data:`MIN_SCORE` and beats every
   other by :data:`MIN_MARGIN`; otherwise the file is refused with a message that shows
   how the first non-ASCII line reads in each candidate and names ``encoding=``.

The whole file is then decoded once more, streaming (constant memory), so an invalid
byte or a NUL character anywhere is reported with its row before pandas sees the file.
"""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes

from lifecircle.errors import Fix, LayerError, Problem

__all__ = ["TextFile", "detect_encoding", "scan_text_file"]

#: Bytes read from the start of the file to decide its encoding.
SAMPLE_BYTES = 1 << 20
#: Bytes decoded at a time when the whole file is checked.
CHUNK_BYTES = 1 << 20
#: Bytes of non-ASCII lines scored per candidate.
SCORED_BYTES = 1 << 16
#: A candidate needs this plausibility (0-1) ...
MIN_SCORE = 0.75
#: ... and this lead over the runner-up to be used without ``encoding=``.
MIN_MARGIN = 0.1
#: Below this score no candidate is worth showing: the bytes are damaged, not encoded.
IMPLAUSIBLE = 0.3
#: Non-ASCII characters GB18030 must read as frequent simplified hanzi to win a near tie.
MIN_SIMPLIFIED_CHARS = 6
#: Legacy encodings tried when the text is not UTF-8, in order of preference on ties.
LEGACY = ("gb18030", "big5", "cp1252")

_LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16",
    "utf-16-be": "UTF-16",
    "utf-32": "UTF-32",
    "gb18030": "GB18030/GBK (简体中文)",
    "big5": "Big5 (繁體中文)",
    "cp1252": "Windows-1252/Latin-1 (Western European)",
}
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_LATIN_SYMBOLS = set("°€£¥©®²³µ·«»–—‘’“”•…±×÷½¼¾¿¡¢§ºª№")


@dataclass(frozen=True)
class TextFile:
    """What :func:`scan_text_file` found: the codec to read with and the first lines."""

    encoding: str
    head: str
    detected: bool

    @property
    def label(self) -> str:
        """The encoding's name for people (``"GB18030/GBK (简体中文)"``)."""
        return _LABELS.get(self.encoding, self.encoding)


def _with_encoding_fix(before: str, example: str) -> Problem:
    """``before`` + ``encoding='big5'`` (or ``encoding = "big5" in [layers.seats]``) + UTF-8."""
    return Problem(before + "pass ", Fix((("encoding", example),)), ", or save the file as UTF-8")


def _decode_prefix(data: bytes, encoding: str) -> str | None:
    """Decode ``data`` (possibly cut inside a character); None when it is not valid."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    try:
        return decoder.decode(data, final=False)
    except UnicodeDecodeError:
        return None


def _looks_utf16(sample: bytes) -> str | None:
    """``utf-16-le``/``-be`` for BOM-less UTF-16 text (ASCII with NUL high bytes)."""
    head = sample[:4096]
    if len(head) < 4:
        return None
    even, odd = head[0::2], head[1::2]
    if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.05 * len(odd):
        return "utf-16-be"
    return None


def _non_ascii_lines(sample: bytes) -> bytes:
    """The lines of ``sample`` holding non-ASCII bytes, up to :data:`SCORED_BYTES`."""
    picked: list[bytes] = []
    size = 0
    lines = sample.split(b"\n")
    if len(sample) >= SAMPLE_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    for line in lines:
        if not line.isascii():
            picked.append(line)
            size += len(line) + 1
            if size >= SCORED_BYTES:
                break
    return b"\n".join(picked)


def _gb_score(char: str) -> float:
    try:
        code = char.encode("gb2312")
    except UnicodeEncodeError:
        return 0.0 if "\ue000" <= char <= "\uf8ff" else 0.3
    lead = code[0]
    if 0xB0 <= lead <= 0xD7 or 0xA1 <= lead <= 0xA3:
        return 1.0  # level-1 hanzi, full-width punctuation
    if 0xD8 <= lead <= 0xF7:
        return 0.7  # level-2 hanzi
    return 0.2  # kana, Greek, Cyrillic, box drawing


def _big5_score(char: str) -> float:
    try:
        code = char.encode("big5")
    except UnicodeEncodeError:
        return 0.0
    value = code[0] << 8 | code[1]
    if 0xA140 <= value <= 0xA3BF or 0xA440 <= value <= 0xC67E:
        return 1.0  # punctuation, frequent characters (常用字)
    if 0xC940 <= value <= 0xF9D5:
        return 0.7  # less frequent characters (次常用字)
    return 0.2


def _latin_scores(text: str) -> Iterator[float]:
    """Latin text: accented letters and symbols alone or in pairs, inside words."""
    run: list[str] = []
    for char in [*text, "a"]:
        if not char.isascii():
            run.append(char)
            continue
        for c in run:
            ordinary = unicodedata.category(c).startswith("L") or c in _LATIN_SYMBOLS
            yield (1.0 if len(run) <= 2 else 0.2) if ordinary else 0.0
        run = []


def _plausibility(text: str, encoding: str) -> float:
    """Share (0-1) of the non-ASCII characters of ``text`` that are ordinary."""
    if encoding == "cp1252":
        scores = list(_latin_scores(text))
    else:
        score = _gb_score if encoding == "gb18030" else _big5_score
        scores = [score(c) for c in text if not c.isascii()]
    return sum(scores) / len(scores) if scores else 0.0


def _chaos(data: bytes, encoding: str) -> float:
    """charset-normalizer's mess ratio of ``data`` read as ``encoding`` (1 when rejected)."""
    best = from_bytes(data, cp_isolation=[encoding]).best()
    return 1.0 if best is None else float(best.chaos)


def _first_line(text: str) -> str:
    line = next((x for x in text.splitlines() if not x.isascii()), text)
    shown = "".join(c if c.isprintable() else "?" for c in line.strip())
    return shown if len(shown) <= 60 else shown[:57] + "..."


def detect_encoding(sample: bytes, name: str) -> str:
    """Return the codec of a text file starting with ``sample``.

    Parameters
    ----------
    sample : bytes
        The first bytes of the file (up to :data:`SAMPLE_BYTES`).
    name : str
        The file name, used in messages.

    Returns
    -------
    str
        A Python codec name: ``utf-8``, ``utf-8-sig``, ``utf-16``, ``utf-16-le``,
        ``utf-16-be``, ``utf-32``, ``gb18030``, ``big5`` or ``cp1252``.

    Raises
    ------
    lifecircle.errors.LayerError
        When no candidate reads the text plausibly, or two read it about equally well.
    """
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    utf16 = _looks_utf16(sample)
    if utf16 is not None:
        return utf16
    if _decode_prefix(sample, "utf-8") is not None:
        return "utf-8"
    lines = _non_ascii_lines(sample)
    readings: dict[str, tuple[float, str]] = {}
    for encoding in LEGACY:
        text = _decode_prefix(lines, encoding)
        if text is not None:
            score = _plausibility(text, encoding) * (1.0 - _chaos(lines, encoding))
            readings[encoding] = (score, text)
    ranked = sorted(readings, key=lambda e: -readings[e][0])
    if ranked:
        best = readings[ranked[0]][0]
        runner_up = readings[ranked[1]][0] if len(ranked) > 1 else 0.0
        if best >= MIN_SCORE and best - runner_up >= MIN_MARGIN:
            return ranked[0]
        if _clearly_simplified(readings):
            return "gb18030"
    mixed = _mixed_utf8(sample)
    if mixed:
        raise LayerError(name, [mixed])
    raise LayerError(name, [_doubtful_message(readings, ranked, sample)])


def _clearly_simplified(readings: dict[str, tuple[float, str]]) -> bool:
    """GB18030 reads :data:`MIN_SIMPLIFIED_CHARS`+ characters as frequent simplified hanzi.

    Big5 text cannot do that by chance: about 40 % of Big5 characters have a second byte
    below 0xA1, which no GB2312 character has, so the odds fall below 1 % at six
    characters. GBK text read as Big5, on the other hand, often lands on frequent
    traditional characters, so a near tie between the two means GB18030.
    """
    if "gb18030" not in readings:
        return False
    score, text = readings["gb18030"]
    return score >= 0.95 and sum(not c.isascii() for c in text) >= MIN_SIMPLIFIED_CHARS


def _mixed_utf8(sample: bytes) -> str | None:
    """A message when ``sample`` starts as UTF-8 text with non-ASCII characters, then breaks."""
    try:
        sample.decode("utf-8")
        return None
    except UnicodeDecodeError as exc:
        start = exc.start
    line_start = sample.rfind(b"\n", 0, start) + 1
    before, after = sample[:line_start], sample[line_start:]
    if before.isascii() or _decode_prefix(before, "utf-8") is None:
        return None
    lines = _non_ascii_lines(after)
    readings = [_decode_prefix(lines, e) for e in LEGACY]
    if (
        max((_plausibility(t, e) for t, e in zip(readings, LEGACY, strict=True) if t), default=0)
        < MIN_SCORE
    ):
        return None  # bytes no encoding reads plausibly: damage, not another encoding
    row = sample[:start].count(b"\n") + 1
    return (
        f"row {row} (byte {start}) is not valid UTF-8 text, although the rows before it are: "
        "the file mixes encodings (e.g. rows pasted from another file); save the whole file "
        "as UTF-8, or pass encoding= if you know it"
    )


def _doubtful_message(
    readings: dict[str, tuple[float, str]], ranked: list[str], sample: bytes
) -> str:
    if not ranked or readings[ranked[0]][0] < IMPLAUSIBLE:
        try:
            sample.decode("utf-8")
            where = ""
        except UnicodeDecodeError as exc:
            row = sample[: exc.start].count(b"\n") + 1
            where = f" (row {row} holds byte 0x{sample[exc.start]:02x})"
        return _with_encoding_fix(
            f"cannot decode the file{where}: it is not valid UTF-8, GB18030/GBK, Big5 or "
            "Windows-1252 text; if you know its encoding, ",
            "<encoding>",
        )
    shown = "; ".join(f"as {_LABELS[e]} '{_first_line(readings[e][1])}'" for e in ranked[:3])
    return _with_encoding_fix(
        "cannot tell the text encoding: the file is not UTF-8, and the first line with "
        f"non-ASCII text reads {shown}; check which is right and ",
        ranked[0],
    )


def _codec(encoding: str, name: str) -> str:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        raise LayerError(
            name,
            [f"unknown encoding= {encoding!r}; use e.g. 'utf-8', 'gb18030', 'big5' or 'cp1252'"],
        ) from None


@dataclass(frozen=True)
class _Problem:
    row: int
    offset: int
    kind: str  # "nul" or "byte"
    after_non_ascii: bool  # non-ASCII text was decoded before it


def _check_chunks(path: Path, encoding: str) -> _Problem | None:
    """Decode the whole file; return its first NUL character or invalid byte, else None."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    row, offset, non_ascii = 1, 0, False
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(CHUNK_BYTES)
            final = not chunk
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError as exc:
                start = max(exc.start, 0)
                good = _decode_prefix(chunk[:start], encoding) or ""
                seen = non_ascii or not good.isascii()
                return _Problem(row + good.count("\n"), offset + start, "byte", seen)
            nul = text.find("\x00")
            if nul >= 0:
                return _Problem(row + text.count("\n", 0, nul), offset, "nul", non_ascii)
            row += text.count("\n")
            offset += len(chunk)
            non_ascii = non_ascii or not text.isascii()
            if final:
                return None


def _refuse_utf8_read_as_legacy(sample: bytes, codec: str, name: str) -> None:
    """``encoding='gbk'`` on a file that is really UTF-8 (e.g. saved again since) is a mistake.

    Legacy Chinese or Latin text is almost never valid UTF-8 with several multi-byte
    characters, so such a file would turn into mojibake.
    """
    text = _decode_prefix(sample, "utf-8")
    if text is None or sum(not c.isascii() for c in text) < 2:
        return
    as_given = _decode_prefix(_non_ascii_lines(sample), codec) or ""
    raise LayerError(
        name,
        [
            f"encoding='{codec}' was given, but the file is UTF-8 text: its first non-ASCII "
            f"line reads '{_first_line(text)}' as UTF-8 and '{_first_line(as_given)}' as "
            f"{_LABELS.get(codec, codec)}; remove encoding= (in a study file: the encoding "
            "key of the layer)"
        ],
    )


def _chunk_at(path: Path, offset: int) -> bytes:
    with path.open("rb") as handle:
        handle.seek(max(offset - SCORED_BYTES // 2, 0))
        chunk = handle.read(SCORED_BYTES)
    start = chunk.find(b"\n") + 1 if offset > SCORED_BYTES // 2 else 0
    end = chunk.rfind(b"\n")
    return chunk[start : end if end > start else len(chunk)]


def scan_text_file(path: Path, encoding: str | None = None) -> TextFile:
    """Decide the encoding of ``path`` and check that the whole file decodes.

    Parameters
    ----------
    path : pathlib.Path
        A CSV/TXT file.
    encoding : str, optional
        The user's ``encoding=``; skips detection.

    Returns
    -------
    TextFile
        The codec and the decoded first part of the file (for sniffing the separator
        and finding the header row).

    Raises
    ------
    lifecircle.errors.LayerError
        For an unknown or doubtful encoding, an invalid byte or a NUL character (with
        the row), each naming the fix.
    """
    name = path.name
    with path.open("rb") as handle:
        sample = handle.read(SAMPLE_BYTES)
    codec = _codec(encoding, name) if encoding else detect_encoding(sample, name)
    if encoding and not codec.startswith("utf"):
        _refuse_utf8_read_as_legacy(sample, codec, name)
    problem = _check_chunks(path, codec)
    if problem and problem.kind == "byte" and not encoding and codec == "utf-8":
        if problem.after_non_ascii:  # UTF-8 text first, another encoding later
            raise LayerError(name, [_scan_message(problem, codec, encoding)])
        # plain ASCII for the first megabyte, a legacy encoding later: decide on that part
        codec = detect_encoding(_chunk_at(path, problem.offset), name)
        problem = _check_chunks(path, codec)
    if problem is not None:
        raise LayerError(name, [_scan_message(problem, codec, encoding)])
    head = _decode_prefix(sample, codec) or ""
    return TextFile(encoding=codec, head=head, detected=encoding is None)


def _scan_message(problem: _Problem, codec: str, given: str | None) -> str:
    if problem.kind == "nul":
        return (
            f"row {problem.row} holds a NUL character (byte 0): the file is binary or "
            "damaged, not text; remove the character, or export the table again as CSV"
        )
    where = f"row {problem.row} (byte {problem.offset})"
    label = _LABELS.get(codec, codec)
    if given:
        return (
            f"{where} is not valid {label} text, the encoding= given; check encoding= (e.g. "
            "encoding='gb18030', 'big5' or 'cp1252') or save the file as UTF-8"
        )
    if problem.after_non_ascii:
        return (
            f"{where} is not valid {label} text, although the rows before it are: the file "
            "mixes encodings (e.g. rows pasted from another file); save the whole file as "
            "UTF-8, or pass encoding= if you know it"
        )
    return _with_encoding_fix(f"{where} is not valid {label} text; ", codec)
