"""The file storage interface: both backends keep bytes under a key and give them back."""
import pytest

from models import db
from models.database import write_transaction
from models.storage import DatabaseStorage, FilesystemStorage, StoredFile, storage_for

DATA = "Biên bản họp giao ban".encode() + bytes(range(256))


@pytest.mark.parametrize("backend", ["database", "filesystem"])
def test_put_get_delete(app, tmp_path, backend):
    store = storage_for({"DOCUMENT_STORAGE": backend, "DOCUMENT_DIR": str(tmp_path / "docs")})
    with write_transaction():
        key = store.put(DATA)
    db.session.expire_all()
    assert store.get(key) == DATA
    with write_transaction():
        store.delete(key)
    with pytest.raises(KeyError):
        store.get(key)
    store.delete(key)  # already gone: no error


def test_database_put_rolls_back_with_its_transaction(app):
    store = DatabaseStorage()
    with pytest.raises(RuntimeError), write_transaction():
        store.put(DATA)
        raise RuntimeError("the row that names it failed")
    assert db.session.query(StoredFile).count() == 0


def test_filesystem_refuses_a_key_that_walks_out(tmp_path):
    with pytest.raises(KeyError):
        FilesystemStorage(tmp_path).get("../../etc/passwd")


def test_unknown_backend_is_a_configuration_error():
    with pytest.raises(ValueError, match="DOCUMENT_STORAGE"):
        storage_for({"DOCUMENT_STORAGE": "s3"})
