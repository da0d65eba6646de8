"""Where uploaded files live: one small interface, a database backend and a filesystem backend.

Use it like this (a verb, inside its `write_transaction()`)::

    from models.storage import storage_for
    store = storage_for(settings)          # DOCUMENT_STORAGE: "database" (default) or "filesystem"
    key = store.put(data)                  # bytes in, an opaque key (<= 200 chars) out
    data = store.get(key)                  # the bytes back; KeyError when there are none
    store.delete(key)                      # forget them (no error when already gone)

`settings` is the app's config mapping (DOCUMENT_STORAGE, DOCUMENT_DIR). The database backend
writes in the caller's session, so the file and the row that names it commit or roll back
together, and every web server on every machine reads the same bytes. The filesystem backend
writes at once under DOCUMENT_DIR (a shared mount when there are several machines); a write
whose transaction rolls back leaves an orphan file, never a row without its file.
Keep files out of rows that are read often: store the key, read the bytes only to download.
"""
from __future__ import annotations

import os
import tempfile
import uuid
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import Integer, LargeBinary, String, delete
from sqlalchemy.orm import Mapped, mapped_column

from .base import UTCDateTime, db, utcnow

BACKENDS = ("database", "filesystem")


class StoredFile(db.Model):
    """The bytes of one file kept by the database backend."""

    __tablename__ = "stored_files"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Storage(Protocol):
    def put(self, data: bytes) -> str: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...


def new_key() -> str:
    return uuid.uuid4().hex


class DatabaseStorage:
    """Files as rows of `stored_files`, in the caller's session (committed with it)."""

    def put(self, data: bytes) -> str:
        key = new_key()
        db.session.add(StoredFile(key=key, data=bytes(data), size=len(data)))
        return key

    def get(self, key: str) -> bytes:
        row = db.session.get(StoredFile, key)
        if row is None:
            raise KeyError(key)
        return row.data

    def delete(self, key: str) -> None:
        db.session.execute(delete(StoredFile).where(StoredFile.key == key))


class FilesystemStorage:
    """Files under a folder, written atomically (a temporary file, then a rename)."""

    def __init__(self, directory: str | os.PathLike):
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        if not key.isalnum():
            raise KeyError(key)
        return self.directory / key[:2] / key

    def put(self, data: bytes) -> str:
        key = new_key()
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        return key

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except (FileNotFoundError, KeyError):
            pass


def storage_for(settings) -> Storage:
    """The backend DOCUMENT_STORAGE names (default: database)."""
    backend = settings.get("DOCUMENT_STORAGE") or "database"
    if backend == "database":
        return DatabaseStorage()
    if backend == "filesystem":
        return FilesystemStorage(settings.get("DOCUMENT_DIR") or "instance/documents")
    raise ValueError(f"DOCUMENT_STORAGE must be one of {BACKENDS}, not {backend!r}")
