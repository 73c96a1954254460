"""Tests of image loading: accepted inputs, preprocessing and error messages."""

import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image, ImageCms, ImageOps
from torchvision.transforms import v2

from sklearn_ais._images import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    check_images,
    decode_image,
    image_sizes,
    load_images,
    pixels_digest,
)

SIZE = (24, 24)  # small output size: these tests check loading, not networks


@pytest.fixture(scope="module")
def rgb():
    """Two uint8 RGB images of different sizes."""
    rng = np.random.default_rng(0)
    return [rng.integers(0, 256, (20, 30, 3), dtype=np.uint8) for _ in range(2)]


@pytest.fixture
def png_files(tmp_path, rgb):
    paths = [tmp_path / f"image{i}.png" for i in range(len(rgb))]
    for path, array in zip(paths, rgb):
        Image.fromarray(array).save(path)
    return paths


def _load(X, **kwargs):
    return load_images(X, size=SIZE, **kwargs)


def test_uint8_containers_agree(rgb, png_files):
    expected = _load(rgb)
    assert expected.shape == (2, 3, *SIZE)
    assert expected.dtype == torch.float32
    variants = {
        "str paths": [str(p) for p in png_files],
        "Path paths": png_files,
        "tuple": tuple(png_files),
        "object array of paths": np.array([str(p) for p in png_files], dtype=object),
        "str array of paths": np.array([str(p) for p in png_files]),
        "pandas Series": pd.Series([str(p) for p in png_files], index=["a", "b"]),
        "PIL images": [Image.fromarray(a) for a in rgb],
        "CHW tensors": [torch.from_numpy(a).permute(2, 0, 1) for a in rgb],
        "stacked ndarray": np.stack(rgb),
        "stacked tensor": torch.from_numpy(np.stack(rgb)).permute(0, 3, 1, 2),
        "int64 arrays": [a.astype(np.int64) for a in rgb],
    }
    for name, X in variants.items():
        torch.testing.assert_close(_load(X), expected, msg=name)


def test_float_images_match_uint8(rgb):
    expected = _load(rgb)
    as_float = [a / 255.0 for a in rgb]
    # Float images are resized in float, uint8 ones in uint8: rounding differs.
    tol = 1.0 / 255 / min(IMAGENET_STD)
    for X in (as_float, np.stack(as_float).astype(np.float32)):
        torch.testing.assert_close(_load(X), expected, atol=tol, rtol=0)
    tensors = [torch.from_numpy(a).permute(2, 0, 1) for a in as_float]
    torch.testing.assert_close(_load(tensors), expected, atol=tol, rtol=0)


def test_grayscale_becomes_rgb(rgb, tmp_path):
    gray = rgb[0][..., 0]
    path = tmp_path / "gray.png"
    Image.fromarray(gray).save(path)
    expected = decode_image(np.repeat(gray[..., None], 3, axis=2))
    for image in (
        gray,
        gray[..., None],
        Image.open(path),
        path,
        torch.from_numpy(gray),
    ):
        pixels = decode_image(image)
        assert pixels.shape == (3, 20, 30)
        torch.testing.assert_close(pixels, expected)
    stacked = _load(np.stack([gray, gray]))
    torch.testing.assert_close(stacked[0], stacked[1])
    assert stacked.shape == (2, 3, *SIZE)


def test_rgba_drops_alpha(rgb, tmp_path):
    alpha = np.full((20, 30, 1), 7, dtype=np.uint8)
    rgba = np.concatenate([rgb[0], alpha], axis=2)
    path = tmp_path / "rgba.png"
    Image.fromarray(rgba).save(path)
    expected = decode_image(rgb[0])
    for image in (rgba, Image.fromarray(rgba), path):
        torch.testing.assert_close(decode_image(image), expected)


def test_mixed_sizes_and_original_sizes(rgb, png_files):
    gray_tall = np.zeros((50, 40), dtype=np.uint8)
    X = [png_files[0], gray_tall, torch.rand(3, 17, 9), Image.fromarray(rgb[1])]
    assert _load(X).shape == (4, 3, *SIZE)
    assert image_sizes(X) == [(20, 30), (50, 40), (17, 9), (20, 30)]
    assert image_sizes(np.zeros((3, 11, 13, 3), dtype=np.uint8)) == [(11, 13)] * 3
    assert image_sizes(torch.zeros(2, 3, 11, 13)) == [(11, 13)] * 2


def test_default_preprocessing_normalises():
    # A constant image stays constant when resized; check the normalisation.
    image = np.full((10, 12, 3), [0, 128, 255], dtype=np.uint8)
    batch = load_images([image])
    assert batch.shape == (1, 3, 224, 224)
    values = np.array([0, 128, 255]) / 255.0
    expected = (values - np.array(IMAGENET_MEAN)) / np.array(IMAGENET_STD)
    np.testing.assert_allclose(batch[0].mean(dim=(1, 2)), expected, atol=1e-6)
    half = load_images([image], size=SIZE, mean=(0.5,) * 3, std=(0.5,) * 3)
    np.testing.assert_allclose(half[0, :, 0, 0], values * 2 - 1, atol=1e-6)


def test_user_transform_replaces_preprocessing(rgb):
    seen = []

    def transform(image):
        seen.append(image)
        return v2.Compose([v2.PILToTensor(), v2.ToDtype(torch.float32, scale=True)])(
            image.resize((8, 6))
        )

    batch = _load(rgb, transform=transform)
    assert batch.shape == (2, 3, 6, 8)
    assert all(isinstance(im, Image.Image) and im.mode == "RGB" for im in seen)
    assert float(batch.min()) >= 0  # no normalisation applied
    with pytest.raises(TypeError, match="transform must return a .3, H, W. float"):
        _load(rgb, transform=lambda image: np.asarray(image))
    with pytest.raises(ValueError, match="different shapes"):
        _load(
            rgb + [np.zeros((5, 5, 3), np.uint8)],
            transform=v2.Compose(
                [v2.PILToTensor(), v2.ToDtype(torch.float32, scale=True)]
            ),
        )


def test_digest_depends_on_content_only(rgb, png_files):
    from_file = pixels_digest(decode_image(png_files[0]))
    assert from_file == pixels_digest(decode_image(rgb[0]))
    changed = rgb[0].copy()
    changed[0, 0, 0] ^= 1
    assert pixels_digest(decode_image(changed)) != from_file
    assert pixels_digest(decode_image(rgb[0] / 255.0)) != from_file


@pytest.mark.parametrize(
    "X, match",
    [
        ([], "contains no images"),
        (np.zeros((0, 8, 8, 3), np.uint8), "contains no images"),
        (np.zeros((8, 8), np.uint8), "stacked array .* got shape \\(8, 8\\)"),
        (np.zeros((1, 2, 8, 8, 3), np.uint8), "stacked array"),
        (torch.zeros(3, 8, 8), "stacked tensor .* got shape \\(3, 8, 8\\)"),
        (np.array([["a.png"]]), "array of paths must be 1-D"),
        ([np.zeros(8, np.uint8)], "Image 0 must have 2 dimensions"),
        ([np.zeros((8, 8), np.uint8), np.zeros((1, 8, 8, 3))], "Image 1 must have"),
        ([np.zeros((8, 8, 2), np.uint8)], "Image 0 has 2 channels"),
        ([np.zeros((8, 8, 5), np.uint8)], "Image 0 has 5 channels.*\\(H, W, C\\)"),
        ([torch.zeros(5, 8, 8)], "Image 0 has 5 channels.*\\(C, H, W\\)"),
        (np.zeros((2, 8, 8, 2), np.uint8), "Image 0 has 2 channels"),
        ([np.zeros((4, 4)), np.full((4, 4), np.nan)], "Image 1 contains NaN"),
        ([np.full((4, 4, 3), 1.5)], "Image 0 .* values in \\[1.5, 1.5\\].*\\[0, 1\\]"),
        ([torch.full((3, 4, 4), -0.1)], "Image 0 is a float image .* \\[0, 1\\]"),
        (np.full((1, 4, 4), 256, np.int64), "Image 0 is an integer image"),
    ],
)
def test_value_errors(X, match):
    with pytest.raises(ValueError, match=match):
        _load(X)


@pytest.mark.parametrize(
    "X, match",
    [
        ("image.png", "single str"),
        (Path("image.png"), "single PosixPath|single WindowsPath"),
        (Image.new("RGB", (4, 4)), "single Image"),
        ({"a": 1}, "X must be a list of images"),
        ([np.zeros((4, 4), np.uint8), 3], "Image 1 has unsupported type int"),
        ([np.zeros((4, 4), bool)], "Image 0 has unsupported dtype bool"),
        ([np.zeros((4, 4), object)], "Image 0 has unsupported dtype object"),
        ([torch.zeros((3, 4, 4), dtype=torch.bool)], "Image 0 has unsupported dtype"),
    ],
)
def test_type_errors(X, match):
    with pytest.raises(TypeError, match=match):
        _load(X)


def test_unreadable_files_are_named(tmp_path, png_files):
    missing = tmp_path / "missing.png"
    with pytest.raises(ValueError, match="Cannot read image 1 from file .*missing.png"):
        _load([png_files[0], missing])
    not_an_image = tmp_path / "notes.png"
    not_an_image.write_text("not an image")
    with pytest.raises(ValueError, match="Cannot read image 0 .*notes.png"):
        _load([not_an_image])
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(png_files[0].read_bytes()[:100])
    with pytest.raises(ValueError, match="Cannot read image 0 .*truncated.png"):
        _load([truncated])
    with pytest.raises(ValueError, match="missing.png"):
        image_sizes([missing])


def test_check_images_splits_without_copy(rgb):
    stacked = np.stack(rgb)
    items = check_images(stacked)
    assert len(items) == 2
    assert np.shares_memory(items[0], stacked)


def test_read_only_arrays_decode_without_warning(rgb):
    frozen = rgb[0].copy()
    frozen.setflags(write=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pixels = decode_image(frozen)
    torch.testing.assert_close(pixels, decode_image(rgb[0]))


# Files as they are produced: every image read as a viewer shows it.


def _gray16(low, high):
    """A 16-bit grayscale ramp from ``low`` to ``high`` (no stretch to 65535)."""
    return np.linspace(low, high, 20 * 30).round().astype(np.uint16).reshape(20, 30)


@pytest.mark.parametrize(
    "low, high, suffix",
    [(4112, 44975, ".png"), (0, 4095, ".png"), (4112, 44975, ".tif")],
    ids=["16-bit PNG", "12-bit in 16-bit PNG", "16-bit TIFF"],
)
def test_16_bit_files_scale_by_65535(tmp_path, low, high, suffix):
    values = _gray16(low, high)
    path = tmp_path / f"gray16{suffix}"
    Image.fromarray(values).save(path)
    expected = torch.from_numpy(values / 65535).float().expand(3, -1, -1)
    for image in (path, Image.open(path), values, torch.from_numpy(values)):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            pixels = decode_image(image)
        assert pixels.dtype == torch.float32
        torch.testing.assert_close(pixels, expected, atol=1e-6, rtol=0)
    # Not stretched: the brightest pixel keeps its value, far from white.
    assert decode_image(path).max() == pytest.approx(high / 65535)
    # Big-endian 16-bit (PIL mode I;16B) and 32-bit mode I holding 16-bit values.
    for image in (
        Image.fromarray(values.astype(">u2")),
        Image.fromarray(values).convert("I"),
    ):
        torch.testing.assert_close(decode_image(image), expected, atol=1e-6, rtol=0)


def test_uint16_arrays_within_8_bit_warn():
    values = np.full((4, 4), 200, np.uint16)
    with pytest.warns(UserWarning, match="read as 16-bit .* cast it to uint8"):
        pixels = decode_image(values)
    torch.testing.assert_close(pixels, torch.full((3, 4, 4), 200 / 65535))
    torch.testing.assert_close(
        decode_image(values.astype(np.uint8)),
        torch.full((3, 4, 4), 200, dtype=torch.uint8),
    )


def test_float_tiff_reads_as_float_array(tmp_path):
    values = np.linspace(0.15, 0.75, 20 * 30, dtype=np.float32).reshape(20, 30)
    path = tmp_path / "float.tif"
    Image.fromarray(values).save(path)  # PIL mode F
    expected = decode_image(values)
    torch.testing.assert_close(expected, torch.from_numpy(values).expand(3, -1, -1))
    for image in (path, Image.open(path), torch.from_numpy(values)):
        torch.testing.assert_close(decode_image(image), expected)
    torch.testing.assert_close(_load([path]), _load([values]))


def test_float_tiff_outside_unit_interval_is_refused(tmp_path):
    path = tmp_path / "radiance.tif"
    Image.fromarray(np.full((4, 4), 3.5, np.float32)).save(path)
    with pytest.raises(ValueError, match=r"radiance.tif.*\[3.5, 3.5\].*\[0, 1\]"):
        decode_image(path)


def test_other_integer_types_read_as_8_bit():
    with pytest.raises(ValueError, match="int32.*Cast 16-bit data to uint16"):
        decode_image(np.full((4, 4), 4000, np.int32))


@pytest.mark.parametrize("suffix", [".jpg", ".png", ".tif", ".webp"])
def test_exif_orientation_is_applied(tmp_path, suffix):
    stored = np.zeros((64, 128, 3), np.uint8)  # stored 128 wide x 64 high
    stored[:, :32] = 255  # a white band on the stored left
    exif = Image.Exif()
    exif[0x0112] = 6  # shown rotated a quarter turn clockwise, as by a phone
    path = tmp_path / f"phone{suffix}"
    Image.fromarray(stored).save(path, exif=exif)
    shown = np.asarray(ImageOps.exif_transpose(Image.open(path)))
    assert shown.shape == (128, 64, 3)
    for image in (path, Image.open(path)):
        pixels = decode_image(image)
        assert pixels.shape == (3, 128, 64)
        np.testing.assert_array_equal(pixels.permute(1, 2, 0).numpy(), shown)
    # The band is on top once turned, as every viewer shows it.
    assert pixels[:, :32].float().mean() > 240
    assert pixels[:, -32:].float().mean() < 15
    assert image_sizes([path, Image.open(path), stored]) == [
        (128, 64),
        (128, 64),
        (64, 128),
    ]


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    path = tmp_path / "print.jpg"
    Image.new("CMYK", (16, 8), (255, 0, 0, 0)).save(path, quality=95)  # cyan
    assert Image.open(path).mode == "CMYK"
    pixels = decode_image(path)
    assert pixels.shape == (3, 8, 16)
    cyan = torch.tensor([0, 255, 255]).view(3, 1, 1).expand(3, 8, 16)
    torch.testing.assert_close(pixels.int(), cyan.int(), atol=3, rtol=0)


def test_icc_profile_is_converted_to_srgb(tmp_path, rgb):
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    path = tmp_path / "tagged.png"
    Image.fromarray(rgb[0]).save(path, icc_profile=srgb)
    assert Image.open(path).info["icc_profile"]
    transform = ImageCms.buildTransform(
        ImageCms.ImageCmsProfile(io.BytesIO(srgb)),
        ImageCms.createProfile("sRGB"),
        "RGB",
        "RGB",
    )
    expected = np.asarray(ImageCms.applyTransform(Image.open(path), transform))
    for image in (path, Image.open(path)):
        pixels = decode_image(image).permute(1, 2, 0).numpy()
        np.testing.assert_array_equal(pixels, expected)
        # sRGB to sRGB changes next to nothing.
        assert np.abs(pixels.astype(int) - rgb[0]).max() <= 2


def test_broken_icc_profile_warns_and_reads_values(tmp_path, rgb):
    path = tmp_path / "broken.png"
    Image.fromarray(rgb[0]).save(path, icc_profile=b"not a profile")
    with pytest.warns(UserWarning, match="broken.png.*ICC profile"):
        pixels = decode_image(path)
    torch.testing.assert_close(pixels, decode_image(rgb[0]))


def test_multi_frame_gif_reads_first_frame(tmp_path):
    frames = [Image.new("RGB", (8, 6), colour) for colour in ("red", "blue")]
    path = tmp_path / "anim.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with pytest.warns(UserWarning, match="anim.gif.* 2 frames.*first frame"):
        pixels = decode_image(path)
    red = torch.tensor([255, 0, 0], dtype=torch.uint8).view(3, 1, 1).expand(3, 6, 8)
    torch.testing.assert_close(pixels, red)
    assert image_sizes([path]) == [(6, 8)]
