"""Turn user images into float tensor batches a network can read.

Accepted images (``X`` is always a collection of images):

- a list, tuple, 1-D object array or pandas Series whose items are file paths
  (``str`` or ``os.PathLike``), PIL images, arrays or tensors;
- array items: ``(H, W)`` grayscale, ``(H, W, 1)``, ``(H, W, 3)`` RGB or
  ``(H, W, 4)`` RGBA, channels last, integer or floating point (see below);
- tensor items: ``(C, H, W)`` (channels first) or ``(H, W)``, same dtypes;
- a stacked ``ndarray`` ``(n, H, W)`` or ``(n, H, W, C)``, or a stacked
  tensor ``(n, C, H, W)``.

Every image is read as a viewer shows it, by one rule for files, PIL images,
arrays and tensors:

- **Integers are scaled by their type's range, never stretched per image.**
  ``uint8`` is 8-bit (``value / 255``); ``uint16`` is 16-bit
  (``value / 65535``), and so are 16-bit files (PIL modes ``I;16``,
  ``I;16B``; mode ``I`` must hold values in ``[0, 65535]``), so 12-bit data
  stored in 16 bits is as dark as a viewer shows it. Other integer types
  (``int64`` and the like, which have no image range) are read as 8-bit and
  must lie in ``[0, 255]``. A ``uint16`` array whose values all lie in
  ``[0, 255]`` is read as 16-bit (nearly black) with a warning: cast it to
  ``uint8`` if it holds 8-bit values.
- **Floats are read in** ``[0, 1]`` (arrays, tensors and float files, PIL
  mode ``F``) and refused, with their range, outside it or with NaN.
- **Files and PIL images** are read as a viewer shows them: their EXIF
  orientation applied (:func:`PIL.ImageOps.exif_transpose`), an embedded ICC
  profile converted to sRGB, CMYK converted to RGB, and a multi-frame GIF or
  TIFF read at its first frame, with a warning naming the file and its number
  of frames. :func:`image_sizes` gives the size as shown (a photo stored
  128 x 64 with EXIF orientation 6 is 64 x 128).

Every image is first *decoded* to its pixels: a ``(3, H, W)`` tensor, ``uint8``
or ``float32`` in ``[0, 1]`` (float and 16-bit images), at the image's own
size (grayscale repeated to three channels, alpha dropped). The pixels are
what the cache keys on. They are then *preprocessed* to the network's input:
by default resized to ``224 x 224`` and normalised with the backbone's mean and
standard deviation; a user ``transform`` (PIL image to ``(3, H, W)`` float
tensor) replaces that.

Decoding is lazy (one batch at a time), so large image sets never sit in
memory at full resolution.
"""

import functools
import hashlib
import io
import os
import warnings
from collections.abc import Sequence

import numpy as np
import torch
from PIL import Image, ImageCms, ImageOps
from torchvision.transforms import v2
from torchvision.transforms.v2 import functional as F

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
DEFAULT_SIZE = (224, 224)

# EXIF orientation tag, and its values that swap width and height.
_ORIENTATION = 0x0112
_TRANSPOSED = (5, 6, 7, 8)
# PIL modes of 16-bit integer images.
_MODES_16_BIT = ("I;16", "I;16L", "I;16B", "I;16N")
# The mode an ICC profile applies to, by PIL mode (alpha and palette dropped).
_ICC_MODES = {
    "RGB": "RGB",
    "RGBA": "RGB",
    "RGBX": "RGB",
    "P": "RGB",
    "PA": "RGB",
    "CMYK": "CMYK",
    "L": "L",
    "LA": "L",
}


def check_images(X):
    """Validate the container of images and return its items as a list.

    Only the container is checked here (its type, its length, the shape of a
    stacked array); each image is checked when it is decoded.

    Parameters
    ----------
    X : sequence of images, ndarray or torch.Tensor
        See the module docstring for the accepted forms.

    Returns
    -------
    items : list
        One item per image (stacked arrays are split into views, no copy).

    Raises
    ------
    TypeError
        If ``X`` is a single image or not a collection of images.
    ValueError
        If ``X`` is empty or a stacked array has the wrong number of dimensions.
    """
    if isinstance(X, str | bytes | os.PathLike | Image.Image):
        raise TypeError(
            f"X must be a collection of images; got a single {type(X).__name__}. "
            "Wrap a single image in a list."
        )
    if isinstance(X, torch.Tensor):
        if X.ndim != 4:
            raise ValueError(
                "A stacked tensor of images must have shape (n, C, H, W); got "
                f"shape {tuple(X.shape)}. Wrap a single (C, H, W) image in a list."
            )
        items = list(X)
    elif isinstance(X, np.ndarray) and X.dtype.kind in "OUS":
        # An array of paths (or of objects), e.g. what cross-validation slices.
        if X.ndim != 1:
            raise ValueError(f"An array of paths must be 1-D; got shape {X.shape}.")
        items = X.tolist()
    elif isinstance(X, np.ndarray):
        if X.ndim not in (3, 4):
            raise ValueError(
                "A stacked array of images must have shape (n, H, W) or "
                f"(n, H, W, C); got shape {X.shape}. Wrap a single image in a list."
            )
        items = list(X)
    elif isinstance(X, Sequence) or (hasattr(X, "iloc") and X.ndim == 1):
        items = list(X)
    else:
        raise TypeError(
            "X must be a list of images (paths, PIL images, arrays or tensors), "
            f"a stacked ndarray or a stacked tensor; got {type(X).__name__}."
        )
    if not items:
        raise ValueError("X contains no images.")
    return items


def decode_image(item, index=0):
    """Decode one image to its RGB pixels at its own size.

    Parameters
    ----------
    item : path, PIL image, ndarray or torch.Tensor
        The image.
    index : int, default=0
        Its position in ``X``, used in error messages.

    Returns
    -------
    pixels : torch.Tensor of shape (3, H, W)
        ``uint8``, or ``float32`` with values in ``[0, 1]`` for float images.
    """
    label = f"Image {index}"
    warn_low = True
    if isinstance(item, str | os.PathLike):
        label = f"Image {index} (file {str(item)!r})"
        item = _read_file(item, index, label)
        warn_low = False
    elif isinstance(item, Image.Image):
        item = _pil_pixels(item, label)
        warn_low = False
    if isinstance(item, np.ndarray):
        if item.dtype.kind not in "uif":
            raise TypeError(f"Image {index} has unsupported dtype {item.dtype}.")
        if item.ndim == 3:
            item = np.moveaxis(item, -1, 0)  # channels last -> channels first
        layout = "(H, W, C)"
        # A copy in native byte order: torch needs a writable, native array,
        # and the caller's stays untouched.
        item = torch.from_numpy(np.array(item, dtype=item.dtype.newbyteorder("=")))
    elif isinstance(item, torch.Tensor):
        layout = "(C, H, W)"
        item = item.detach().cpu()
    else:
        raise TypeError(
            f"Image {index} has unsupported type {type(item).__name__}; expected "
            "a file path, a PIL image, an ndarray or a torch.Tensor."
        )
    return _check_pixels(item, index, layout, label=label, warn_low=warn_low)


def image_sizes(X):
    """Original ``(height, width)`` of each image as shown, before any resizing.

    Files are not decoded, only their headers read where the format allows.
    The EXIF orientation of files and PIL images is applied: a photo stored
    128 x 64 with orientation 6 (rotated a quarter turn) is ``(128, 64)``.

    Parameters
    ----------
    X : collection of images
        See the module docstring.

    Returns
    -------
    sizes : list of tuple of int
        ``(height, width)`` per image.
    """
    sizes = []
    for index, item in enumerate(check_images(X)):
        if isinstance(item, str | os.PathLike):
            with _open_file(item, index) as image:
                width, height = _shown_size(image, header_only=True)
        elif isinstance(item, Image.Image):
            width, height = _shown_size(item)
        elif isinstance(item, np.ndarray):
            height, width = item.shape[:2]
        elif isinstance(item, torch.Tensor):
            height, width = item.shape[-2:]
        else:
            decode_image(item, index)  # raises the TypeError
        sizes.append((int(height), int(width)))
    return sizes


def make_preprocess(transform=None, *, size=DEFAULT_SIZE, mean=None, std=None):
    """Build the function that turns decoded pixels into a network input.

    Parameters
    ----------
    transform : callable or None, default=None
        ``None``: resize to ``size`` (bilinear, antialiased), scale to
        ``[0, 1]`` and normalise with ``mean`` and ``std``. Otherwise a
        callable taking a PIL RGB image and returning a ``(3, H, W)`` float
        tensor, which replaces all of that (float images reach it as 8-bit
        PIL images).
    size : tuple of int, default=(224, 224)
        Output ``(height, width)`` of the default preprocessing.
    mean, std : sequence of 3 floats or None, default=None
        Normalisation of the default preprocessing; ``None`` means ImageNet's.

    Returns
    -------
    preprocess : callable
        ``preprocess(pixels, index)`` returns a ``(3, H, W)`` float32 tensor.
    """
    if transform is None:
        default = v2.Compose(
            [
                v2.Resize(tuple(size), antialias=True),
                v2.ToDtype(torch.float32, scale=True),
                v2.Normalize(
                    IMAGENET_MEAN if mean is None else mean,
                    IMAGENET_STD if std is None else std,
                ),
            ]
        )
        return lambda pixels, index=0: default(pixels)

    def preprocess(pixels, index=0):
        out = transform(F.to_pil_image(pixels))
        if not (
            isinstance(out, torch.Tensor)
            and out.ndim == 3
            and out.shape[0] == 3
            and out.is_floating_point()
        ):
            shape = tuple(out.shape) if hasattr(out, "shape") else None
            raise TypeError(
                "transform must return a (3, H, W) float tensor; for image "
                f"{index} it returned {type(out).__name__} with shape {shape}."
            )
        return out.float()

    return preprocess


def load_images(X, transform=None, *, size=DEFAULT_SIZE, mean=None, std=None):
    """Decode and preprocess images into one batch tensor.

    Parameters
    ----------
    X : collection of images
        See the module docstring.
    transform, size, mean, std
        See :func:`make_preprocess`.

    Returns
    -------
    batch : torch.Tensor of shape (n, 3, H, W)
        ``float32``.
    """
    items = check_images(X)
    return preprocess_batch(
        items,
        range(len(items)),
        make_preprocess(transform, size=size, mean=mean, std=std),
    )


def preprocess_batch(items, indices, preprocess):
    """Decode and preprocess ``items[i]`` for ``i`` in ``indices`` into a batch."""
    inputs = [preprocess(decode_image(items[i], i), i) for i in indices]
    shapes = {tuple(x.shape) for x in inputs}
    if len(shapes) > 1:
        raise ValueError(
            f"The preprocessed images have different shapes {sorted(shapes)}; "
            "a transform must give every image the same size."
        )
    return torch.stack(inputs)


def pixels_digest(pixels):
    """Content hash of decoded pixels (dtype, shape and values)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{pixels.dtype}{tuple(pixels.shape)}".encode())
    digest.update(pixels.contiguous().numpy().tobytes())
    return digest.hexdigest()


def _open_file(path, index):
    try:
        return Image.open(path)
    except (OSError, Image.DecompressionBombError) as exc:
        # Missing, a directory, not an image, or too large to be safe.
        raise _unreadable(path, index, exc) from exc


def _read_file(path, index, label):
    with _open_file(path, index) as image:
        try:
            return _pil_pixels(image, label)
        except OSError as exc:  # truncated or corrupt image data
            raise _unreadable(path, index, exc) from exc


def _orientation(image, header_only=False):
    """The EXIF orientation of a PIL image (1, upright, when it has none)."""
    if header_only and image.format == "PNG" and "exif" not in image.info:
        return 1  # PIL would decode the whole PNG to look for a late eXIf chunk
    return image.getexif().get(_ORIENTATION, 1)


def _shown_size(image, header_only=False):
    """``(width, height)`` of a PIL image as shown, its EXIF orientation applied."""
    width, height = image.size
    if image.format == "TIFF":
        return width, height  # PIL sizes a TIFF as shown, and turns it on load
    if _orientation(image, header_only) in _TRANSPOSED:
        width, height = height, width
    return width, height


def _pil_pixels(image, label):
    """A PIL image as a viewer shows it, as an array for :func:`_check_pixels`.

    The current frame (the first of a file) with a warning if there are
    others, the EXIF orientation applied, an ICC profile converted to sRGB,
    then ``uint8`` RGB, or for 16-bit and float modes ``uint16`` or ``float32``
    values at their own scale.
    """
    n_frames = getattr(image, "n_frames", 1)
    if n_frames > 1:
        frame = image.tell()
        which = "its first frame" if frame == 0 else f"frame {frame}"
        warnings.warn(
            f"{label} has {n_frames} frames; only {which} is read, as a viewer "
            "shows it.",
            UserWarning,
            stacklevel=4,
        )
    if _orientation(image) not in (1, None):
        image = ImageOps.exif_transpose(image)
    image = _to_srgb(image, label)
    if image.mode in _MODES_16_BIT:
        return np.asarray(image).astype(np.uint16)
    if image.mode == "I":
        values = np.asarray(image)
        low, high = int(values.min()), int(values.max())
        if low < 0 or high > 65535:
            raise ValueError(
                f"{label} is a 32-bit integer image (PIL mode I) with values in "
                f"[{low}, {high}]; it is read as 16-bit, so its values must lie "
                "in [0, 65535]."
            )
        return values.astype(np.uint16)
    if image.mode == "F":
        return np.asarray(image, dtype=np.float32)
    try:
        return np.asarray(image.convert("RGB"))
    except ValueError as exc:  # a mode PIL cannot convert
        raise ValueError(f"{label} has PIL mode {image.mode}: {exc}") from exc


def _to_srgb(image, label):
    """Convert an image with an embedded ICC profile to sRGB, as a viewer does."""
    icc = image.info.get("icc_profile")
    if not icc:
        return image
    mode = _ICC_MODES.get(image.mode)
    if mode is None:
        warnings.warn(
            f"{label} has an ICC profile, which is not applied to PIL mode "
            f"{image.mode} (16-bit or float): its values are read as they are.",
            UserWarning,
            stacklevel=5,
        )
        return image
    if image.mode != mode:
        image = image.convert(mode)
    try:
        return ImageCms.applyTransform(image, _srgb_transform(bytes(icc), mode))
    except (OSError, ImageCms.PyCMSError) as exc:
        warnings.warn(
            f"{label} has an ICC profile that cannot be applied ({exc}); its "
            "values are read without it.",
            UserWarning,
            stacklevel=5,
        )
        return image


@functools.lru_cache(maxsize=16)
def _srgb_transform(icc, mode):
    """The transform from an ICC profile (bytes) in ``mode`` to sRGB."""
    source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
    return ImageCms.buildTransform(source, ImageCms.createProfile("sRGB"), mode, "RGB")


def _unreadable(path, index, exc):
    return ValueError(f"Cannot read image {index} from file {str(path)!r}: {exc}")


def _check_pixels(pixels, index, layout, *, label=None, warn_low=True):
    """Check a ``(C, H, W)`` or ``(H, W)`` tensor and return ``(3, H, W)`` pixels.

    ``uint8`` stays ``uint8``; ``uint16`` becomes ``float32`` divided by 65535;
    other integer types must lie in ``[0, 255]`` and become ``uint8``; floats
    must lie in ``[0, 1]`` and become ``float32``.
    """
    label = f"Image {index}" if label is None else label
    if pixels.ndim == 2:
        pixels = pixels[None]
    if pixels.ndim != 3:
        raise ValueError(
            f"{label} must have 2 dimensions (H, W) or 3 dimensions {layout}; "
            f"got {pixels.ndim} dimensions."
        )
    n_channels = pixels.shape[0]
    if n_channels not in (1, 3, 4):
        raise ValueError(
            f"{label} has {n_channels} channels; expected 1 (grayscale), "
            f"3 (RGB) or 4 (RGBA), laid out as {layout}."
        )
    if pixels.dtype == torch.bool or pixels.is_complex():
        raise TypeError(f"{label} has unsupported dtype {pixels.dtype}.")
    if pixels.is_floating_point():
        pixels = pixels.float()
        if pixels.isnan().any():
            raise ValueError(f"{label} contains NaN values.")
        low, high = pixels.min().item(), pixels.max().item()
        if low < 0 or high > 1:
            raise ValueError(
                f"{label} is a float image with values in [{low:g}, {high:g}]; "
                "float images must lie in [0, 1] (scale them, or pass uint8 "
                "values in [0, 255] or uint16 values in [0, 65535])."
            )
    elif pixels.dtype == torch.uint16:
        # int32 first: torch lacks min/max for some unsigned integer types.
        wide = pixels.to(torch.int32)
        high = wide.max().item()
        if warn_low and 0 < high <= 255:
            warnings.warn(
                f"{label} is a uint16 image whose values all lie in [0, {high}]: "
                "it is read as 16-bit (value / 65535), so nearly black. If it "
                "holds 8-bit values, cast it to uint8.",
                UserWarning,
                stacklevel=3,
            )
        pixels = wide.float() / 65535
    elif pixels.dtype != torch.uint8:
        # int64 first: torch lacks min/max for some unsigned integer types.
        low, high = pixels.long().min().item(), pixels.long().max().item()
        if low < 0 or high > 255:
            raise ValueError(
                f"{label} is an integer image ({pixels.dtype}) with values in "
                f"[{low}, {high}]; integer images other than uint16 are read as "
                "8-bit and must lie in [0, 255]. Cast 16-bit data to uint16 "
                "(read as value / 65535), or pass floats in [0, 1]."
            )
        pixels = pixels.to(torch.uint8)
    # Grayscale -> RGB; RGBA -> RGB by dropping alpha, as PIL's convert("RGB").
    return pixels.expand(3, -1, -1) if n_channels == 1 else pixels[:3]
