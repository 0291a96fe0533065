"""File storage: a local folder by default, S3-compatible by configuration.

The S3 tests talk to moto's in-process fake of S3 — a fake at a true external boundary.
"""

import pytest
from moto import mock_aws

from jifen.storage import LocalStorage, S3Storage, StorageError, storage_from_url


@pytest.fixture
def s3(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "fake",
        "AWS_SECRET_ACCESS_KEY": "fake",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        store = storage_from_url("s3://jifen-files/tenants?region=us-east-1")
        store.client.create_bucket(Bucket="jifen-files")
        yield store


@pytest.fixture(params=["local", "s3"])
def storage(request, tmp_path):
    if request.param == "local":
        return storage_from_url(f"file://{tmp_path / 'files'}")
    return request.getfixturevalue("s3")


def test_put_get_exists_delete(storage):
    assert not storage.exists("acme/logo.png")
    storage.put("acme/logo.png", b"\x89PNG...", "image/png")
    assert storage.exists("acme/logo.png")
    assert storage.get("acme/logo.png") == b"\x89PNG..."
    storage.put("acme/logo.png", b"v2", "image/png")
    assert storage.get("acme/logo.png") == b"v2"
    storage.delete("acme/logo.png")
    assert not storage.exists("acme/logo.png")
    with pytest.raises(KeyError):
        storage.get("acme/logo.png")


def test_a_key_is_not_a_prefix_of_another(storage):
    storage.put("acme/logo.png.bak", b"x", "application/octet-stream")
    assert not storage.exists("acme/logo.png")


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a/../../b", "", "a//b", "a b"])
def test_unsafe_keys_are_refused(storage, key):
    with pytest.raises(StorageError):
        storage.put(key, b"x", "text/plain")


def test_local_storage_lives_under_its_root(tmp_path):
    store = storage_from_url(f"file://{tmp_path}")
    assert isinstance(store, LocalStorage)
    store.put("t/1/codes.csv", b"A1\nA2\n", "text/csv")
    assert (tmp_path / "t" / "1" / "codes.csv").read_bytes() == b"A1\nA2\n"


def test_s3_objects_live_under_the_prefix(s3):
    assert isinstance(s3, S3Storage)
    s3.put("acme/a.txt", b"x", "text/plain")
    listed = s3.client.list_objects_v2(Bucket="jifen-files")["Contents"]
    assert [o["Key"] for o in listed] == ["tenants/acme/a.txt"]


def test_unknown_scheme_is_refused():
    with pytest.raises(StorageError):
        storage_from_url("ftp://example.invalid/files")
