"""Files (logos, product images, code pools): a local folder, or S3-compatible storage.

`JIFEN_STORAGE_URL` chooses: `file:///path` (the embedded default, under the instance
folder) or `s3://bucket/prefix?endpoint=https://...&region=...` (needs the `s3` extra,
boto3; credentials from the usual AWS environment variables).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, urlparse

_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)*$")


class StorageError(ValueError):
    pass


def check_key(key: str) -> str:
    """Keys are relative paths of safe segments: no '..', no absolute paths."""
    if len(key) > 512 or not _KEY.match(key) or ".." in key.split("/"):
        raise StorageError(f"invalid storage key: {key!r}")
    return key


class Storage(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> None: ...
    def get(self, key: str) -> bytes: ...
    def delete(self, key: str) -> None: ...
    def exists(self, key: str) -> bool: ...


class LocalStorage:
    """Files in a folder; writes are atomic (temporary file, then rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


class S3Storage:
    """Objects in an S3-compatible bucket under a prefix."""

    def __init__(self, bucket: str, prefix: str, client: object) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.client = client

    def _key(self, key: str) -> str:
        check_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes, content_type: str) -> None:
        self.client.put_object(  # type: ignore[attr-defined]
            Bucket=self.bucket, Key=self._key(key), Body=data, ContentType=content_type
        )

    def get(self, key: str) -> bytes:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=self._key(key))  # type: ignore[attr-defined]
        except self.client.exceptions.NoSuchKey:  # type: ignore[attr-defined]
            raise KeyError(key) from None
        data: bytes = response["Body"].read()
        return data

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._key(key))  # type: ignore[attr-defined]

    def exists(self, key: str) -> bool:
        response = self.client.list_objects_v2(  # type: ignore[attr-defined]
            Bucket=self.bucket, Prefix=self._key(key), MaxKeys=1
        )
        return any(o["Key"] == self._key(key) for o in response.get("Contents", []))


def storage_from_url(url: str) -> Storage:
    parsed = urlparse(url)
    if parsed.scheme == "file":
        return LocalStorage(Path(parsed.path))
    if parsed.scheme == "s3":
        import boto3  # the `s3` extra

        options = {k: v[0] for k, v in parse_qs(parsed.query).items()}
        client = boto3.client(
            "s3", endpoint_url=options.get("endpoint"), region_name=options.get("region")
        )
        return S3Storage(parsed.netloc, parsed.path, client)
    raise StorageError(f"unsupported JIFEN_STORAGE_URL scheme: {parsed.scheme!r}")
