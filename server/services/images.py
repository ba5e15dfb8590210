"""Pictures people upload (worker photos, quiz pictures): one way to make them safe to show.

EXIF orientation applied, converted to RGB, shrunk to fit a square, stored as JPEG. A file
Pillow cannot read is refused with a message that names what was uploaded.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from server.services import InvalidInput

JPEG_QUALITY = 85


def normalised_jpeg(data: bytes, size: int, what: str) -> bytes:
    """The picture in `data` upright, RGB, at most `size` pixels a side, as JPEG bytes."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            picture = ImageOps.exif_transpose(opened).convert("RGB")
            picture.thumbnail((size, size))
            buffer = io.BytesIO()
            picture.save(buffer, "JPEG", quality=JPEG_QUALITY)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise InvalidInput(f"{what}: not a picture this server can read (JPEG or PNG)") from None
    return buffer.getvalue()
