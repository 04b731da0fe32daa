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
        name_contains: a device whose name contains it (Vulkan: the best-ranked such;
            CUDA: the first).
        validation: Vulkan: True / False enables / disables the validation layer; None
            follows ``GEYSER_VALIDATION=1``.
        uuid: the device whose UUID this is (Vulkan deviceUUID, CUDA device UUID: the same
            for one GPU): 16 bytes, or 32 hex digits with or without dashes as
            ``geyser info`` prints it and :attr:`DeviceInfo.uuid` ``.hex()`` gives it.

    Every selector given (index, name_contains, uuid) must match. Raises
    :class:`geyser.UnsupportedError` without the driver, :class:`geyser.ValidationError`
    for a malformed uuid, or an index, UUID or name that no device the driver lists has
    (the message lists the devices).

    Receivers and senders keep the device they were given, so closing it early is fine:
    :meth:`close` (or a ``with`` block's end) drops only this handle's reference.
    """

    def __init__(self, api="vulkan", index=-1, name_contains=None, validation=None, uuid=None):
        lib = _lib.lib()
        if api not in ("vulkan", "cuda"):
            raise _bad_api(api)
        uuid_buffer = None
        if uuid is not None:  # kept alive here until geyser_device_create returns
            uuid_buffer = (ctypes.c_uint8 * 16).from_buffer_copy(_uuid_bytes(uuid))
        options = _lib.geyser_device_options()
        # the mirror's size: the library writes no byte past it (C API version 6)
        check(lib.geyser_device_options_init_sized(ctypes.byref(options), ctypes.sizeof(options)))
        options.index = int(index)
        options.name_contains = name_contains.encode("utf-8") if name_contains else None
        options.validation = -1 if validation is None else (1 if validation else 0)
        if uuid_buffer is not None:
            options.uuid = ctypes.cast(uuid_buffer, ctypes.c_void_p)
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


def _uuid_bytes(uuid):
    """16 bytes from bytes or a hex string (dashes allowed); ValidationError otherwise."""
    if isinstance(uuid, (bytes, bytearray, memoryview)):
        raw = bytes(uuid)
    elif isinstance(uuid, str):
        try:
            raw = bytes.fromhex(uuid.replace("-", ""))
        except ValueError:
            raw = b""
    else:
        raise validation("Device: uuid must be bytes or a hex str, not %s" % type(uuid).__name__)
    if len(raw) != 16:
        raise validation("Device: uuid %r is not 16 bytes (32 hex digits)" % (uuid,))
    return raw


def _bad_api(api):
    return validation("Device: api %r is not vulkan or cuda" % (api,))
