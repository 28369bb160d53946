"""Decode one image file to a uint8 array; convert between grey and colour; resize.

Pillow is imported inside the functions, so ``import core`` never loads it: only a
user who opens a folder of images needs it installed.
"""

from __future__ import annotations

import os
import stat
import struct
import warnings
import zlib

import numpy as np

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")  # compared lower-cased

# Modes Pillow decodes to one channel; everything else becomes RGB.
_GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "F"})

# ITU-R 601-2 luma in 16-bit fixed point, the weights Pillow's "L" conversion uses.
_LUMA = (19595, 38470, 7471)


class ImageReadError(OSError):
    """An image file that cannot be decoded; ``str()`` is a short reason."""


def is_image_name(name: str) -> bool:
    """Whether a file name has one of :data:`IMAGE_SUFFIXES` (any case)."""
    return name.lower().endswith(IMAGE_SUFFIXES)


def read_image(path: str | os.PathLike) -> np.ndarray:
    """The pixels of one image file: ``(h, w)`` uint8 grey or ``(h, w, 3)`` uint8 RGB.

    16- and 32-bit grey is scaled to 0..255; palette, alpha and other colour modes
    become RGB (alpha dropped); an RGB image whose channels are all equal comes back
    grey. An animated file gives its first frame. Any failure raises
    :class:`ImageReadError` with a short reason such as ``"truncated file"``.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        # A FIFO or a device named like an image would block or never end in the decoder.
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise ImageReadError("not a regular file")
        # A bomb warning (between 1x and 2x MAX_IMAGE_PIXELS) is refused like the error.
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                image.load()
                return _to_array(image)
    except ImageReadError:
        raise
    except UnidentifiedImageError:
        raise ImageReadError("not an image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageReadError("too many pixels (decompression bomb check)") from None
    except MemoryError:
        raise ImageReadError("too large to decode") from None
    except OSError as error:
        raise ImageReadError(_os_reason(error)) from None
    except (SyntaxError, ValueError, EOFError, IndexError, TypeError, struct.error, zlib.error):
        # Pillow's plugins raise these for damaged headers and chunks.
        raise ImageReadError("corrupt image data") from None


def _os_reason(error: OSError) -> str:
    """Short text for what Pillow or the OS raised while reading a file."""
    text = str(error).lower()
    if "truncated" in text or "broken data stream" in text:
        return "truncated file"
    if error.strerror:
        return error.strerror.lower()
    return "corrupt image data"


def _to_array(image) -> np.ndarray:
    """A decoded Pillow image as ``(h, w)`` or ``(h, w, 3)`` uint8."""
    mode = image.mode
    if mode.startswith("I;16"):
        return _scale_16bit(np.asarray(image).astype(np.uint32))
    if mode == "I":
        # 16-bit PNGs open as "I" in some Pillow versions: the values are 0..65535.
        return _scale_16bit(np.clip(np.asarray(image), 0, 65535).astype(np.uint32))
    if mode == "F":
        values = np.nan_to_num(np.asarray(image, dtype=np.float64))
        if values.size and values.min() >= 0.0 and values.max() <= 1.0:
            values = values * 255.0
        return np.clip(np.rint(values), 0, 255).astype(np.uint8)
    if mode in _GREY_MODES:
        return np.asarray(image if mode == "L" else image.convert("L"), dtype=np.uint8).copy()
    try:
        rgb = image if mode == "RGB" else image.convert("RGB")
    except ValueError:
        raise ImageReadError(f"unsupported image mode {mode}") from None
    pixels = np.asarray(rgb, dtype=np.uint8)
    if (pixels[..., 0] == pixels[..., 1]).all() and (pixels[..., 1] == pixels[..., 2]).all():
        return pixels[..., 0].copy()
    return pixels.copy()


def _scale_16bit(values: np.ndarray) -> np.ndarray:
    """0..65535 to 0..255, rounded: 65535 -> 255, 32768 -> 128."""
    return ((values * 255 + 32767) // 65535).astype(np.uint8)


def to_channels(image: np.ndarray, channels: int) -> np.ndarray:
    """``image`` ``(h, w)`` or ``(h, w, 3)`` uint8 as 1 channel ``(h, w)`` or 3 ``(h, w, 3)``.

    Grey to colour replicates the grey value; colour to grey is ITU-R 601 luma
    (``0.299 R + 0.587 G + 0.114 B``, rounded as Pillow's "L" conversion rounds).
    """
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, not {channels}")
    if image.ndim == 2:
        return image if channels == 1 else np.repeat(image[:, :, None], 3, axis=2)
    if channels == 3:
        return image
    r, g, b = (image[..., k].astype(np.uint32) for k in range(3))
    return ((r * _LUMA[0] + g * _LUMA[1] + b * _LUMA[2] + 0x8000) >> 16).astype(np.uint8)


def resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` ``(h, w)`` or ``(h, w, 3)`` uint8 resized to ``size = (h, w)``.

    Lanczos resampling: it antialiases when shrinking and stays sharp when enlarging.
    """
    from PIL import Image

    height, width = size
    if image.shape[:2] == (height, width):
        return image
    resized = Image.fromarray(image).resize((width, height), Image.Resampling.LANCZOS)
    return np.asarray(resized, dtype=np.uint8).copy()
