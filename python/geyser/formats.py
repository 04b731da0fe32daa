"""Texture formats: names, sizes, and how a format's texels read as array elements.

The formats are the C API's ``geyser_format`` enum (the C++ ``geyser::TextureFormat``);
their facts come from the library (``geyser_format_get_info``), names are parsed by it
(``geyser_format_from_name``: ``"rgba8"``, ``"Rgba8Unorm"``, ``"rgba8unorm"``...).

How a texel reads as an array (:func:`element_type`), the same rule as the library's
DLPack tensors: ``channels`` elements of the component type (uint8 for 8-bit formats,
int8 for Snorm, float16 / float32 for Float, uint16 / int16 / uint32 / int32 as the name
says); packed formats (Rgb10a2Unorm, Rg11b10Float, the depth formats) are one element per
texel (uint32, or uint16 for Depth16Unorm, float32 for Depth32Float).
"""

import ctypes
from dataclasses import dataclass

from . import _lib
from .errors import check, validation


@dataclass(frozen=True)
class FormatInfo:
    """What one format is (``geyser_format_info``)."""

    value: int  #: the geyser_format enum value
    name: str  #: "Rgba8Unorm"
    texel_size: int  #: bytes per texel, tightly packed
    channels: int  #: components per texel
    vk_format: int  #: VkFormat
    gl_internal_format: int


@dataclass(frozen=True)
class ElementType:
    """How a texel of a format reads as array elements.

    ``kind`` is the numpy kind ("u", "i" or "f"), ``bits`` the element size,
    ``channels`` the elements per texel, ``packed`` whether a texel is one element whose
    bits hold several components (arrays of such formats are (height, width))."""

    kind: str
    bits: int
    channels: int
    packed: bool

    @property
    def itemsize(self):
        """Bytes per element."""
        return self.bits // 8

    @property
    def typestr(self):
        """The array-interface type string: "|u1", "<f2", "<u4", ..."""
        return ("|" if self.bits == 8 else "<") + self.kind + str(self.itemsize)

    def numpy_dtype(self):
        """The numpy dtype (imports numpy)."""
        import numpy

        return numpy.dtype(self.typestr)


_infos = None  # tuple of FormatInfo, in enum order
_by_value = {}


def _all():
    global _infos
    if _infos is None:
        lib = _lib.lib()
        out = []
        value = 0
        while True:
            info = _lib.geyser_format_info()
            if lib.geyser_format_get_info(value, ctypes.byref(info)) != _lib.OK:
                break  # Validation: past the last format
            out.append(
                FormatInfo(
                    value,
                    info.name.decode("ascii"),
                    info.texel_size,
                    info.channels,
                    info.vk_format,
                    info.gl_internal_format,
                )
            )
            value += 1
        _by_value.update({f.value: f for f in out})
        _infos = tuple(out)
    return _infos


def all_formats():
    """Every format the library knows, in enum order (a tuple of :class:`FormatInfo`)."""
    return _all()


def format_value(format):
    """The ``geyser_format`` value of `format`: a name the library parses (``"rgba8"``,
    ``"Bgra8Srgb"``, case-insensitive), an int, or a :class:`FormatInfo`.

    Raises :class:`geyser.ValidationError` for an unknown name or value."""
    if isinstance(format, FormatInfo):
        return format.value
    if isinstance(format, int) and not isinstance(format, bool):
        info(format)
        return format
    if isinstance(format, bytes):
        format = format.decode("utf-8", "replace")
    if not isinstance(format, str):
        raise validation("a format is a name or a geyser_format value, not %r" % (format,))
    out = ctypes.c_int()
    check(_lib.lib().geyser_format_from_name(format.encode("utf-8"), ctypes.byref(out)))
    return out.value


def info(format):
    """The :class:`FormatInfo` of `format` (a name, value or FormatInfo).

    Raises :class:`geyser.ValidationError` for an unknown one."""
    if isinstance(format, FormatInfo):
        return format
    if isinstance(format, int) and not isinstance(format, bool):
        _all()
        if format not in _by_value:
            raise validation("geyser_format %d is not a format" % format)
        return _by_value[format]
    return info(format_value(format))


def name(format):
    """The format's name, e.g. ``"Rgba8Unorm"``."""
    return info(format).name


def element_type(format):
    """How a texel of `format` reads as array elements (:class:`ElementType`)."""
    f = info(format)
    packed = f.name.startswith("Depth") or f.name in ("Rgb10a2Unorm", "Rg11b10Float")
    if f.name == "Depth32Float":
        return ElementType("f", 32, 1, True)
    if packed:
        return ElementType("u", f.texel_size * 8, 1, True)
    kind = "u"
    if f.name.endswith("Float"):
        kind = "f"
    elif f.name.endswith("Sint") or f.name.endswith("Snorm"):
        kind = "i"
    return ElementType(kind, f.texel_size // f.channels * 8, f.channels, False)


def array_shape(format, width, height):
    """The shape of a `width` x `height` frame of `format` as an array: (height, width,
    channels), or (height, width) for packed formats."""
    element = element_type(format)
    if element.packed:
        return (int(height), int(width))
    return (int(height), int(width), element.channels)
