"""core.datasets.imagefile: one file to uint8 pixels, in every mode; bad files refused."""

from __future__ import annotations

import io
import os
import warnings

import numpy as np
import pytest

from core.datasets.imagefile import IMAGE_SUFFIXES, ImageReadError, is_image_name, read_image, resize, to_channels

Image = pytest.importorskip("PIL.Image")


def grey(h=6, w=5, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w), dtype=np.uint8)


def colour(h=6, w=5, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".gif"])
def test_lossless_grey_formats_round_trip(tmp_path, suffix):
    pixels = grey()
    Image.fromarray(pixels).save(tmp_path / f"a{suffix}")
    out = read_image(tmp_path / f"a{suffix}")
    assert out.dtype == np.uint8 and out.shape == (6, 5)
    assert np.array_equal(out, pixels)


@pytest.mark.parametrize("suffix", [".png", ".bmp"])
def test_colour_round_trips_as_rgb(tmp_path, suffix):
    pixels = colour()
    Image.fromarray(pixels).save(tmp_path / f"a{suffix}")
    out = read_image(tmp_path / f"a{suffix}")
    assert out.shape == (6, 5, 3)
    assert np.array_equal(out, pixels)


def test_jpeg_is_read_close_to_the_original(tmp_path):
    pixels = np.full((16, 16, 3), (200, 40, 90), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "a.JPG", quality=95)
    out = read_image(tmp_path / "a.JPG")
    assert out.shape == (16, 16, 3)
    assert np.abs(out.astype(int) - pixels).max() <= 6


def test_rgb_with_equal_channels_comes_back_grey(tmp_path):
    pixels = grey()
    Image.fromarray(np.stack([pixels] * 3, axis=2)).save(tmp_path / "a.png")
    out = read_image(tmp_path / "a.png")
    assert out.shape == (6, 5)
    assert np.array_equal(out, pixels)


def test_rgba_drops_alpha_and_la_drops_alpha(tmp_path):
    rgba = np.concatenate([colour(), np.full((6, 5, 1), 7, np.uint8)], axis=2)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    assert np.array_equal(read_image(tmp_path / "a.png"), rgba[..., :3])
    la = np.stack([grey(), np.zeros((6, 5), np.uint8)], axis=2)
    Image.fromarray(la, "LA").save(tmp_path / "b.png")
    assert np.array_equal(read_image(tmp_path / "b.png"), la[..., 0])


def test_palette_image_becomes_rgb(tmp_path):
    pixels = colour()
    Image.fromarray(pixels).quantize(colors=8).save(tmp_path / "a.png")
    expected = np.asarray(Image.open(tmp_path / "a.png").convert("RGB"))
    out = read_image(tmp_path / "a.png")
    assert out.shape == (6, 5, 3) and np.array_equal(out, expected)


def test_one_bit_image_is_grey_0_or_255(tmp_path):
    pixels = grey() > 127
    Image.fromarray(pixels).save(tmp_path / "a.png")
    out = read_image(tmp_path / "a.png")
    assert out.shape == (6, 5)
    assert np.array_equal(out, np.where(pixels, 255, 0))


def test_sixteen_bit_grey_is_scaled_not_clipped(tmp_path):
    values = np.array([[0, 257, 32768, 65535]], dtype=np.uint16)
    Image.fromarray(values).save(tmp_path / "a.png")
    assert Image.open(tmp_path / "a.png").mode.startswith("I")
    out = read_image(tmp_path / "a.png")
    assert out.dtype == np.uint8
    assert out.tolist() == [[0, 1, 128, 255]]


def test_animated_gif_gives_its_first_frame(tmp_path):
    frames = [Image.fromarray(np.full((4, 4), v, np.uint8)) for v in (10, 200)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    assert getattr(Image.open(tmp_path / "a.gif"), "n_frames", 1) == 2
    out = read_image(tmp_path / "a.gif")
    assert out.shape == (4, 4) and (out == 10).all()


def test_random_bytes_are_not_an_image(tmp_path):
    (tmp_path / "a.png").write_bytes(np.random.default_rng(0).bytes(300))
    with pytest.raises(ImageReadError, match="^not an image$"):
        read_image(tmp_path / "a.png")


def test_truncated_png_is_refused_not_padded(tmp_path):
    buffer = io.BytesIO()
    Image.fromarray(colour(64, 64)).save(buffer, "PNG")
    (tmp_path / "a.png").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    with pytest.raises(ImageReadError, match="truncated file") as info:
        read_image(tmp_path / "a.png")
    assert isinstance(info.value, OSError)
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is False


def test_missing_file_names_the_os_reason(tmp_path):
    with pytest.raises(ImageReadError, match="no such file"):
        read_image(tmp_path / "nothing.png")


def test_decompression_bomb_warning_and_error_are_refused(tmp_path, monkeypatch):
    Image.fromarray(grey(20, 20)).save(tmp_path / "a.png")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the filter inside read_image must not leak out as a warning
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 300)  # 400 pixels: a warning
        with pytest.raises(ImageReadError, match="decompression bomb"):
            read_image(tmp_path / "a.png")
        monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # over twice: the error
        with pytest.raises(ImageReadError, match="decompression bomb"):
            read_image(tmp_path / "a.png")


def test_to_channels_replicates_and_uses_601_luma_like_pillow():
    g = grey()
    assert np.array_equal(to_channels(g, 3), np.stack([g] * 3, axis=2))
    assert to_channels(g, 1) is g
    c = colour(16, 16, seed=3)
    expected = np.asarray(Image.fromarray(c).convert("L"))
    assert np.array_equal(to_channels(c, 1), expected)
    pure = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]]], np.uint8)
    assert to_channels(pure, 1).tolist() == [[76, 150, 29]]


def test_resize_changes_size_and_keeps_a_flat_image_flat():
    flat = np.full((10, 12), 77, np.uint8)
    assert np.array_equal(resize(flat, (28, 20)), np.full((28, 20), 77, np.uint8))
    small = resize(colour(40, 40), (8, 6))
    assert small.shape == (8, 6, 3) and small.dtype == np.uint8


def test_suffixes_are_case_insensitive():
    assert set(IMAGE_SUFFIXES) == {".png", ".jpg", ".jpeg", ".bmp", ".gif"}
    assert is_image_name("A.PNG") and is_image_name("b.JpEg")
    assert not is_image_name("notes.txt") and not is_image_name("png")


def test_a_fifo_named_like_an_image_is_refused_not_waited_on(tmp_path):
    # Opening a FIFO blocks until a writer comes: the decoder must never try.
    fifo = tmp_path / "evil.png"
    os.mkfifo(fifo)
    with pytest.raises(ImageReadError, match="not a regular file"):
        read_image(fifo)
