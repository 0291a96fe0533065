"""Images a merchant uploads (a logo, a product's pictures): checked to be what they say
they are, then kept in the tenant's folder of the file storage (jifen.storage) under a
new name, and served at `/files/<key>` (jifen.storefront.stored_files).

Only raster images are taken, recognised by their first bytes rather than by the name
or type the browser gave: PNG, JPEG, GIF and WebP. SVG is refused: it may carry scripts.
"""

from __future__ import annotations

import uuid

from jifen.errors import ValidationFailed
from jifen.i18n import N_, Message
from jifen.storage import Storage
from jifen.types import new_id

MAX_IMAGE_BYTES = 2 * 1024 * 1024
# What each kind of image starts with (bytes at offsets), and the name and type it is
# kept and served as.
_SIGNATURES: tuple[tuple[tuple[tuple[int, bytes], ...], str, str], ...] = (
    (((0, b"\x89PNG\r\n\x1a\n"),), "png", "image/png"),
    (((0, b"\xff\xd8\xff"),), "jpg", "image/jpeg"),
    (((0, b"GIF87a"),), "gif", "image/gif"),
    (((0, b"GIF89a"),), "gif", "image/gif"),
    (((0, b"RIFF"), (8, b"WEBP")), "webp", "image/webp"),
)
CONTENT_TYPES = {extension: kind for _, extension, kind in _SIGNATURES}
PREFIX = "/files/"


def image_kind(data: bytes) -> tuple[str, str] | None:
    """The extension and content type of an image we take, from its first bytes."""
    for marks, extension, kind in _SIGNATURES:
        if all(data[at : at + len(mark)] == mark for at, mark in marks):
            return extension, kind
    return None


def store_image(storage: Storage, tenant_id: uuid.UUID, data: bytes, *, field: str) -> str:
    """Keep an uploaded image; the path it is served at. `ValidationFailed` on `field`
    for an empty file, one too large, or one that is not an image we take."""
    if not data:
        raise ValidationFailed(details={field: [Message(N_("The file is empty."))]})
    if len(data) > MAX_IMAGE_BYTES:
        message = Message(N_("An image may be at most %(megabytes)s MB."), {"megabytes": 2})
        raise ValidationFailed(details={field: [message]})
    kind = image_kind(data)
    if kind is None:
        message = Message(N_("This is not a PNG, JPEG, GIF or WebP image."))
        raise ValidationFailed(details={field: [message]})
    extension, content_type = kind
    key = f"tenants/{tenant_id.hex}/images/{new_id().hex}.{extension}"
    storage.put(key, data, content_type)
    return PREFIX + key
