"""Pictures people upload (worker photos, quiz pictures): one way to make them safe to show.

EXIF orientation applied, converted to RGB, shrunk to fit a square, stored as JPEG. A file
Pillow cannot read is refused with a message that names what was uploaded.

An upload may be built to hurt: a small PNG can decode to gigabytes. Only JPEG, PNG and
WebP are opened, and a picture of more than MAX_PIXELS is refused from its header, before
anything is decoded (Pillow itself only warns below twice its own, larger, limit). A JPEG
is decoded at the smallest scale that still fills the square, and the picture is shrunk
before it is turned or converted, so a picture at the limit costs at most one decoded
copy (40 Mpx of RGBA: 160 MB).
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from server.services.refusals import N_, Refused

JPEG_QUALITY = 85
MAX_PIXELS = 40_000_000
FORMATS = ("JPEG", "PNG", "WEBP")
_RESIZED_AS_IS = frozenset({"RGB", "RGBA", "L", "LA"})  # other modes go to RGB first


def _too_large(what: str, max_pixels: int) -> Refused:
    return Refused(N_("%(what)s: the picture has more than %(mpx)s million pixels; send a "
                      "smaller one (a phone photo has about 12 million)"),
                   what=what, mpx=max_pixels // 1_000_000)


def normalised_jpeg(data: bytes, size: int, what: str, *, max_pixels: int = MAX_PIXELS
                    ) -> bytes:
    """The picture in `data` upright, RGB, at most `size` pixels a side, as JPEG bytes."""
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as opened:
            width, height = opened.size  # from the header: nothing is decoded yet
            if width * height > max_pixels:
                raise _too_large(what, max_pixels)
            opened.draft("RGB", (size, size))  # JPEG only: decode at 1/2, 1/4 or 1/8
            picture = opened if opened.mode in _RESIZED_AS_IS else opened.convert("RGB")
            picture.thumbnail((size, size))
            picture = ImageOps.exif_transpose(picture).convert("RGB")
            buffer = io.BytesIO()
            picture.save(buffer, "JPEG", quality=JPEG_QUALITY)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own limit, far above ours, met in Image.open (its warning is an error
        # where warnings are errors, as in the tests)
        raise _too_large(what, max_pixels) from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise Refused(N_("%(what)s: not a picture this server can read (JPEG, PNG or WebP)"),
                      what=what) from None
    return buffer.getvalue()
