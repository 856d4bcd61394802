"""File output that is atomic, reproducible and checked.

- Atomic: every output is written to a temporary name beside the target, then renamed.
- Reproducible: the same content gives the same bytes (no temporary names or dates inside).
- Checked: the files that one job writes for another (HDF5 tables, traces, comparisons,
  convergence files; checkpoints in :mod:`metabayes.training.checkpoints`) record a SHA-256
  digest of their content when written, and their readers recompute it: a file changed or
  corrupted since stops the reading job (:class:`CorruptFile`) instead of feeding it wrong
  numbers.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path in the target's directory; rename it to ``path`` on success.

    An exception (or a kill) leaves at most a hidden ``.tmp`` file, never a partial file
    under the final name. The file gets the permissions of a newly created one (0666 less the
    umask), not the private 0600 of a temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


DIGEST = "sha256"
"""Root attribute of an HDF5 file holding the digest of the rest of its content."""


class CorruptFile(ValueError):
    """A file whose content does not match the digest recorded when it was written."""

    def __init__(self, path: str | os.PathLike, problem: str):
        super().__init__(f"{path}: {problem}. Regenerate it with: snakemake --forcerun {path}")


def check_digest(path: str | os.PathLike, recorded: str | None, actual: str) -> None:
    """Raise :class:`CorruptFile` unless the recorded digest is the actual one."""
    if recorded is None:
        raise CorruptFile(
            path,
            "it records no content digest (an older format, or a file this pipeline did not write)",
        )
    if recorded != actual:
        raise CorruptFile(
            path,
            "its content does not match the digest recorded when it was "
            "written: it was changed or corrupted since",
        )


@contextlib.contextmanager
def sealed_hdf5(path: str | os.PathLike) -> Iterator:
    """An HDF5 file open for writing under a temporary name; on success its content digest
    is recorded (root attribute :data:`DIGEST`) and it is renamed to ``path``."""
    import h5py

    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            yield f
            f.attrs[DIGEST] = hdf5_digest(f)


@contextlib.contextmanager
def verified_hdf5(path: str | os.PathLike) -> Iterator:
    """An HDF5 file open for reading, once its content matches its recorded digest."""
    import h5py

    with h5py.File(path, "r") as f:
        recorded = f.attrs.get(DIGEST)
        check_digest(path, None if recorded is None else str(recorded), hdf5_digest(f))
        yield f


def hdf5_digest(f) -> str:
    """SHA-256 of an HDF5 file's content: every group's and dataset's name and attributes,
    every dataset's type, shape and values (not their storage: chunks, compression), in
    sorted order; the root's :data:`DIGEST` attribute aside."""
    import h5py

    digest = hashlib.sha256()

    def add_attributes(node) -> None:
        for key in sorted(node.attrs):
            if node.name == "/" and key == DIGEST:
                continue
            digest.update(f"@{node.name}:{key}=".encode())
            digest.update(_value_bytes(node.attrs[key]))

    add_attributes(f)
    names: list[str] = []
    f.visit(names.append)
    for name in sorted(names):
        node = f[name]
        digest.update(f"#{name}".encode())
        if isinstance(node, h5py.Dataset):
            digest.update(f"{node.dtype.str}{node.shape}".encode())
            digest.update(_value_bytes(node[()]))
        add_attributes(node)
    return digest.hexdigest()


def _value_bytes(value) -> bytes:
    """Bytes that stand for an attribute or dataset value, with its type."""
    if isinstance(value, bytes):
        return b"b" + value
    if isinstance(value, str):
        return b"s" + value.encode()
    array = np.asarray(value)
    if array.dtype.kind == "O":
        return b"o" + repr(array.tolist()).encode()
    return array.dtype.str.encode() + repr(array.shape).encode() + array.tobytes()


def save_torch(payload, path: str | os.PathLike) -> None:
    """``torch.save`` atomically, with the same bytes for the same payload.

    Saved under a file name, torch names the zip entries after it (here the temporary
    name, different in every run); saved to a buffer, they are always ``archive/``.
    """
    import torch  # only the jobs that write checkpoints pay for it

    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def write_csv(frame: pd.DataFrame, path: str | os.PathLike) -> None:
    """Write a data frame as CSV, atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False)


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, hex."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


MANIFEST_SKIPS = ("logs", "benchmarks")
"""Folders of ``results/`` left out of the manifest: job logs and timings differ by run."""


def write_manifest(root: str | os.PathLike, path: str | os.PathLike) -> int:
    """Write ``sha256sum``-style lines (digest, two spaces, path) for every file under
    ``root`` but logs, timings, hidden files and the manifest itself, sorted by path; paths
    are as ``root`` is given, so ``sha256sum -c`` checks them from the same directory.
    Returns the number of files."""
    root, path = Path(root), Path(path)
    files = sorted(
        file
        for file in root.rglob("*")
        if file.is_file()
        and file.resolve() != path.resolve()
        and not any(part.startswith(".") for part in file.relative_to(root).parts)
        and file.relative_to(root).parts[0] not in MANIFEST_SKIPS
    )
    with atomic_path(path) as tmp:
        tmp.write_text("".join(f"{file_digest(file)}  {file.as_posix()}\n" for file in files))
    return len(files)


def _umask() -> int:
    """The process's umask (read by setting it and restoring it at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
