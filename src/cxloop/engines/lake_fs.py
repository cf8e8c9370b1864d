"""The lake's file operations through Hadoop's FileSystem API in the Spark driver's JVM.

Whatever Spark can read (a local folder, `hdfs://`, `s3a://`, `abfs://`, ...) the lake can live on, with the
same credentials and settings the Spark session already has. Paths are given relative to the lake's root.
Only the driver touches files this way: executors write data files through Spark's own writers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["LakeFS", "StoredFile"]


@dataclass(frozen=True)
class StoredFile:
    """A file under the root: its path relative to the root and its size in bytes."""

    path: str
    size: int


class LakeFS:
    """Files under one root URI (`root` may be a plain local path)."""

    def __init__(self, session: Any, root: str) -> None:
        jvm = session.sparkContext._jvm
        self._path_class = jvm.org.apache.hadoop.fs.Path
        self._io = jvm.org.apache.commons.io.IOUtils
        conf = session.sparkContext._jsc.hadoopConfiguration()
        raw = self._path_class(root)
        self.fs = raw.getFileSystem(conf)
        self.root = str(self.fs.makeQualified(raw).toString()).rstrip("/")

    def uri(self, rel: str = "") -> str:
        """The full URI of `rel` (what Spark's readers and writers are given)."""
        return f"{self.root}/{rel}" if rel else self.root

    def _p(self, rel: str) -> Any:
        return self._path_class(self.uri(rel))

    def relative(self, uri: str) -> str:
        """`uri` (as Hadoop lists it) relative to the root."""
        qualified = str(self.fs.makeQualified(self._path_class(uri)).toString())
        if not qualified.startswith(self.root + "/"):
            raise ValueError(f"{uri} is not under the lake root {self.root}")
        return qualified[len(self.root) + 1:]

    def exists(self, rel: str) -> bool:
        return bool(self.fs.exists(self._p(rel)))

    def mkdirs(self, rel: str) -> None:
        self.fs.mkdirs(self._p(rel))

    def read_bytes(self, rel: str) -> bytes:
        stream = self.fs.open(self._p(rel))
        try:
            return bytes(self._io.toByteArray(stream))
        finally:
            stream.close()

    def read_tail(self, rel: str, size: int, n: int) -> bytes:
        """The last `n` bytes of the file `rel` of `size` bytes."""
        stream = self.fs.open(self._p(rel))
        try:
            stream.seek(max(size - n, 0))
            return bytes(self._io.toByteArray(stream, min(n, size)))
        finally:
            stream.close()

    def parquet_rows(self, rel: str, size: int) -> int:
        """Rows of a Parquet file, read off its footer (two small reads; no Spark job)."""
        import struct

        import pyarrow as pa
        import pyarrow.parquet as pq

        tail = self.read_tail(rel, size, 8)
        if len(tail) != 8 or tail[4:] != b"PAR1":
            raise ValueError(f"{self.uri(rel)} is not a Parquet file")
        length = struct.unpack("<i", tail[:4])[0]
        footer = self.read_tail(rel, size, length + 8)
        return int(pq.read_metadata(pa.BufferReader(b"PAR1" + footer)).num_rows)

    def write_bytes(self, rel: str, data: bytes, *, overwrite: bool = False) -> None:
        out = self.fs.create(self._p(rel), overwrite)
        try:
            out.write(bytearray(data))
        finally:
            out.close()

    def rename(self, src: str, dst: str) -> bool:
        """Move `src` to `dst` (parents created); False when Hadoop refuses (e.g. `dst` exists)."""
        parent = dst.rsplit("/", 1)[0] if "/" in dst else ""
        if parent:
            self.mkdirs(parent)
        return bool(self.fs.rename(self._p(src), self._p(dst)))

    def delete(self, rel: str, *, recursive: bool = False) -> bool:
        return bool(self.fs.delete(self._p(rel), recursive))

    def list_files(self, rel: str, *, recursive: bool = True) -> list[StoredFile]:
        """Files under `rel` (none when it does not exist), sorted by path."""
        if not self.exists(rel):
            return []
        found = []
        it = self.fs.listFiles(self._p(rel), recursive)
        while it.hasNext():
            status = it.next()
            found.append(StoredFile(self.relative(str(status.getPath().toString())), int(status.getLen())))
        return sorted(found, key=lambda f: f.path)

    def list_names(self, rel: str) -> list[str]:
        """Names of the entries (files and folders) directly under `rel`."""
        if not self.exists(rel):
            return []
        return sorted(str(s.getPath().getName()) for s in self.fs.listStatus(self._p(rel)))
