"""Uploaded images, decoded and re-encoded with Pillow before anything is stored.

A file is an image only if Pillow decodes it whole: a valid signature followed by garbage, a
truncated file or a decompression bomb is refused. What is stored is never the uploaded bytes but
a fresh JPEG of the decoded pixels: EXIF orientation applied, then every piece of metadata (EXIF
with its GPS location, XMP, ICC profile, comments) left behind, and the long side capped.

The pixel count is checked from the header, before the pixels are decoded, so a bomb costs no
memory; Pillow's own guard (``MAX_IMAGE_PIXELS``, set by :func:`configure`) stays on as a backstop
and its ``DecompressionBombError`` / ``DecompressionBombWarning`` (when warnings are errors) are
refused the same way. Decoding is CPU-bound: callers run :func:`reencode` in a thread, a bounded
number at a time.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps

from services.errors import DomainError, ErrorCode

ACCEPTED = ("JPEG", "PNG", "WEBP")  # the formats Pillow may try (MPO is JPEG's multi-picture)
MAX_SIDE = 4096  # the long side of a stored image, in pixels
QUALITY = 85
CONTENT_TYPE = "image/jpeg"
EXTENSION = "jpg"


@dataclass(frozen=True, slots=True)
class Encoded:
    data: bytes
    content_type: str
    width: int
    height: int


def configure(*, max_pixels: int) -> None:
    """Pillow's own bomb guard, for this process: it warns above ``max_pixels`` (refused here
    by the header check) and raises above twice that."""
    Image.MAX_IMAGE_PIXELS = max_pixels


def too_many_pixels(max_pixels: int) -> DomainError:
    return DomainError(
        ErrorCode.UPLOAD_TOO_MANY_PIXELS, field="file", max_mp=f"{max_pixels / 1_000_000:g}"
    )


def broken() -> DomainError:
    return DomainError(ErrorCode.UPLOAD_BROKEN, field="file")


def _flatten(image: Image.Image) -> Image.Image:
    """RGB pixels; transparency goes onto white."""
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    )
    if not has_alpha:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    white = Image.new("RGB", rgba.size, (255, 255, 255))
    white.paste(rgba, mask=rgba.getchannel("A"))
    return white


def _decode(data: bytes, max_pixels: int) -> Image.Image:
    image = Image.open(io.BytesIO(data), formats=ACCEPTED)
    width, height = image.size
    if width < 1 or height < 1:
        raise broken()
    if width * height > max_pixels:
        raise too_many_pixels(max_pixels)
    if image.format in ("JPEG", "MPO"):
        # let libjpeg scale down by 1/2, 1/4 or 1/8 while decoding: less memory and time
        image.draft("RGB", (MAX_SIDE, MAX_SIDE))
    image.load()  # every pixel now: a truncated or corrupt file fails here
    return image


def reencode(data: bytes, *, max_pixels: int) -> Encoded:
    """The image in ``data`` as a clean JPEG, or a typed refusal (never another exception)."""
    try:
        image = _decode(data, max_pixels)
        # smaller first (the full-size pixels go early; the EXIF stays), then upright, then RGB
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        pixels = _flatten(ImageOps.exif_transpose(image))
        pixels.info.clear()
        out = io.BytesIO()
        pixels.save(out, "JPEG", quality=QUALITY, optimize=True)
    except DomainError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels(max_pixels) from None
    except MemoryError:
        raise too_many_pixels(max_pixels) from None
    except Exception:
        # Pillow's decoders raise OSError, SyntaxError, ValueError, struct.error, EOFError... on
        # bytes that are not what they claim to be: all of it is the upload's fault, none a 500
        raise broken() from None
    return Encoded(out.getvalue(), CONTENT_TYPE, pixels.width, pixels.height)
