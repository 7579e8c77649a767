"""Reading IDX files (the MNIST family's format), gzip-compressed or raw.

An IDX file is a big-endian header (two zero bytes, a type byte, a dimension
count byte, then one 4-byte size per dimension) followed by the data. We only
need unsigned bytes (type 0x08): magic 2049 is a 1-D label file, 2051 a 3-D
image file. Everything is checked against the header, so a truncated or
corrupt file raises `DataIntegrityError` naming the file instead of handing
back a silently short array.
"""

import gzip
import struct
import zlib
from pathlib import Path

import numpy as np

from kerasdoc._errors import DataIntegrityError

__all__ = ["read_idx", "IDX_LABELS", "IDX_IMAGES"]

IDX_LABELS = 2049
IDX_IMAGES = 2051
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
_MAX_BYTES = 1 << 32  # a corrupt header must not allocate terabytes


def _open(path):
    """Open `path` for reading, transparently decompressing gzip."""
    with open(path, "rb") as handle:
        head = handle.read(2)
    raw = open(path, "rb")
    if head == _GZIP_MAGIC:
        return raw, gzip.GzipFile(fileobj=raw, mode="rb")
    return raw, raw


def _read_exactly(stream, n, path, what, raw=None, progress=None, total=None):
    """Read `n` bytes into a new writable uint8 array or raise naming `path`."""
    out = np.empty(n, dtype=np.uint8)
    view = memoryview(out)
    filled = 0
    while filled < n:
        got = stream.readinto(view[filled:filled + _CHUNK])
        if not got:
            break
        filled += got
        if progress is not None and raw is not None:
            progress(raw.tell(), total)
    if filled != n:
        raise DataIntegrityError(
            f"{path.name} is truncated: expected {n} bytes of {what}, "
            f"found {filled}. Re-download or re-copy the file. "
            f"Received: path={str(path)!r}"
        )
    return out


def read_idx(path, *, expected_magic=None, progress=None) -> np.ndarray:
    """Read an unsigned-byte IDX file (optionally gzip-compressed).

    Args:
        path: Path of the `.gz` or raw IDX file.
        expected_magic: `IDX_LABELS` (2049) or `IDX_IMAGES` (2051) to
            require that kind of file, or `None` to accept any unsigned-byte
            IDX file. Defaults to `None`.
        progress: Optional callable `progress(bytes_read, total_bytes)` called
            as the (compressed) file is read. Defaults to `None`.

    Returns:
        A `uint8` array with the shape given by the header.

    Raises:
        DataIntegrityError: the file is truncated, not gzip/IDX, has the
            wrong magic number, or has trailing data.

    Example:

    >>> y = read_idx("train-labels-idx1-ubyte.gz", expected_magic=IDX_LABELS)
    """
    path = Path(path)
    if not path.is_file():
        raise DataIntegrityError(
            f"IDX file not found: {path}. Received: path={str(path)!r}")
    total = path.stat().st_size
    raw, stream = _open(path)
    try:
        header = _read_exactly(stream, 4, path, "header").tobytes()
        magic = struct.unpack(">I", header)[0]
        if header[:2] != b"\x00\x00" or header[2] != 0x08 or not 1 <= header[3] <= 4:
            raise DataIntegrityError(
                f"{path.name} is not an unsigned-byte IDX file: bad magic number "
                f"{magic} (expected {IDX_LABELS} for labels or {IDX_IMAGES} for "
                f"images). Received: path={str(path)!r}"
            )
        if expected_magic is not None and magic != expected_magic:
            raise DataIntegrityError(
                f"{path.name} has magic number {magic}, expected {expected_magic} "
                f"({'labels' if expected_magic == IDX_LABELS else 'images'}). "
                f"Received: path={str(path)!r}"
            )
        ndim = header[3]
        dims = struct.unpack(f">{ndim}I", _read_exactly(
            stream, 4 * ndim, path, "dimensions").tobytes())
        size = int(np.prod(dims, dtype=np.int64))
        if size > _MAX_BYTES:
            raise DataIntegrityError(
                f"{path.name} has an implausible header: dims {list(dims)} "
                f"announce {size} bytes. The file is corrupt. "
                f"Received: path={str(path)!r}"
            )
        data = _read_exactly(stream, size, path, "data", raw=raw,
                             progress=progress, total=total)
        if stream.read(1):
            raise DataIntegrityError(
                f"{path.name} has data after the {size} bytes its header "
                f"announces (dims {list(dims)}): the file is corrupt. "
                f"Received: path={str(path)!r}"
            )
    except (EOFError, OSError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError
        raise DataIntegrityError(
            f"{path.name} is corrupt or truncated ({type(exc).__name__}: {exc}). "
            f"Re-download or re-copy the file. Received: path={str(path)!r}"
        ) from exc
    finally:
        stream.close()
        raw.close()
    if progress is not None:
        progress(total, total)
    return data.reshape(dims)
