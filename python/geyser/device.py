"""Devices: a headless Vulkan device or a CUDA device's primary context
(``geyser_device_*``), for receivers and senders that should share one."""

import ctypes
from dataclasses import dataclass

from . import _lib
from ._owned import OwnedHandle
from .errors import check, validation


@dataclass(frozen=True)
class DeviceInfo:
    """What a device is (``geyser_device_info``); handles are ints (0: none)."""

    api: str  #: "vulkan" or "cuda"
    name: str  #: "NVIDIA H200", "llvmpipe (LLVM 15.0.6, 256 bits)"
    uuid: bytes  #: the deviceUUID (the same for a GPU's Vulkan and CUDA devices)
    vk_instance: int
    vk_physical_device: int
    vk_device: int
    vk_queue: int
    vk_queue_family_index: int
    cuda_context: int
    cuda_ordinal: int


def _destroy_device(handle):
    _lib.lib().geyser_device_destroy(handle)


class Device(OwnedHandle):
    """A device to give receivers and senders (``geyser_device_create``).

    Args:
        api: ``"vulkan"`` (a headless Vulkan device) or ``"cuda"`` (the primary context,
            the one the CUDA runtime, PyTorch and CuPy use).
        index: Vulkan: the vkEnumeratePhysicalDevices index; CUDA: the ordinal; -1: the
            default (a GPU first for Vulkan, ordinal 0 for CUDA).
        name_contains: Vulkan: the first device whose name contains it.
        validation: Vulkan: True / False enables / disables the validation layer; None
            follows ``GEYSER_VALIDATION=1``.

    Raises :class:`geyser.UnsupportedError` without the driver,
    :class:`geyser.ValidationError` for an index the driver does not list.

    Receivers and senders keep the device they were given, so closing it early is fine:
    :meth:`close` (or a ``with`` block's end) drops only this handle's reference.
    """

    def __init__(self, api="vulkan", index=-1, name_contains=None, validation=None):
        lib = _lib.lib()
        if api not in ("vulkan", "cuda"):
            raise _bad_api(api)
        options = _lib.geyser_device_options()
        lib.geyser_device_options_init(ctypes.byref(options))
        options.index = int(index)
        options.name_contains = name_contains.encode("utf-8") if name_contains else None
        options.validation = -1 if validation is None else (1 if validation else 0)
        handle = ctypes.c_void_p()
        check(
            lib.geyser_device_create(_lib.API_BY_NAME[api], ctypes.byref(options), ctypes.byref(handle))
        )
        self.api = api
        self._own(handle.value, _destroy_device)

    def _handle_for(self, api):
        if self._handle is None:
            raise validation("the %s device is closed" % self.api)
        if api != self.api:
            raise validation("a %s device cannot serve api %r" % (self.api, api))
        return self._handle

    @property
    def info(self):
        """A :class:`DeviceInfo`."""
        raw = _lib.geyser_device_info()
        check(_lib.lib().geyser_device_get_info(self._handle_for(self.api), ctypes.byref(raw)))
        return DeviceInfo(
            api=_lib.API_NAMES.get(raw.api, str(raw.api)),
            name=raw.name.decode("utf-8", "replace"),
            uuid=bytes(raw.uuid),
            vk_instance=raw.vk_instance or 0,
            vk_physical_device=raw.vk_physical_device or 0,
            vk_device=raw.vk_device or 0,
            vk_queue=raw.vk_queue or 0,
            vk_queue_family_index=raw.vk_queue_family_index,
            cuda_context=raw.cuda_context or 0,
            cuda_ordinal=raw.cuda_ordinal,
        )


def _bad_api(api):
    return validation("Device: api %r is not vulkan or cuda" % (api,))
