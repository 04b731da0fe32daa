"""DLPack capsules: frames handed out as ``"dltensor"`` capsules, tensors taken in.

Out (``Frame.__dlpack__``): libgeyser makes a ``DLManagedTensor*`` (dlpack.h 0.x) that
holds a reference to the frame's memory; :func:`capsule_from_tensor` wraps it in a
``PyCapsule`` named ``"dltensor"``. A consumer (``torch.from_dlpack``,
``numpy.from_dlpack``, ``cupy.from_dlpack``) renames the capsule ``"used_dltensor"`` and
calls the tensor's deleter itself when its array goes; a capsule dropped unconsumed runs
the deleter from its destructor (:data:`_DESTRUCTOR`).

In (``Sender.write``): :func:`take_tensor` calls the producer's ``__dlpack__``, takes the
pointer and marks the capsule used, so that the C call (which runs the deleter, also on
failure) owns the tensor from then on.

The capsule functions of the C API are called through ``ctypes.pythonapi`` with explicit
prototypes; inside the destructor the capsule is only a ``void*``.
"""

import ctypes
from ctypes import PYFUNCTYPE, c_char_p, c_int, c_void_p, py_object

from . import _lib
from .errors import unsupported, validation

kDLCPU = _lib.kDLCPU
kDLCUDA = _lib.kDLCUDA

# The capsule names live as long as the module (a capsule keeps the pointer, not a copy).
_DLTENSOR = b"dltensor"
_USED_DLTENSOR = b"used_dltensor"


def _api(name, restype, *argtypes):
    return PYFUNCTYPE(restype, *argtypes)((name, ctypes.pythonapi))


# On Python objects (the capsules we are given).
_capsule_new = _api("PyCapsule_New", py_object, c_void_p, c_char_p, c_void_p)
_capsule_get_pointer = _api("PyCapsule_GetPointer", c_void_p, py_object, c_char_p)
_capsule_set_name = _api("PyCapsule_SetName", c_int, py_object, c_char_p)
_capsule_is_valid = _api("PyCapsule_IsValid", c_int, py_object, c_char_p)
# On the raw PyObject* the destructor gets: no Python object is made of it there.
_raw_is_valid = _api("PyCapsule_IsValid", c_int, c_void_p, c_char_p)
_raw_get_pointer = _api("PyCapsule_GetPointer", c_void_p, c_void_p, c_char_p)


def run_deleter(tensor):
    """Calls ``tensor->deleter(tensor)`` of a ``DLManagedTensor*`` (an int); nothing for
    NULL or a tensor without a deleter."""
    if not tensor:
        return
    deleter = _lib.DLManagedTensor.from_address(tensor).deleter
    if deleter:
        _lib.DLPACK_DELETER(deleter)(tensor)


def _destroy_capsule(capsule):
    """The capsules' destructor: runs the tensor's deleter unless a consumer took it.

    A capsule can die while an exception is being raised (a consumer that failed after
    taking it); every ctypes call here then raises that exception first. It is caught so
    that the deleter still runs exactly once, and re-raised at the end, which ctypes
    reports as an unraisable exception (the consumer's error then reaches its caller as a
    SystemError: a pure-Python destructor cannot put the exception back)."""
    pending = None
    try:
        valid = _raw_is_valid(capsule, _DLTENSOR)
    except BaseException as e:  # an exception was pending when the capsule died
        pending = e
        valid = _raw_is_valid(capsule, _DLTENSOR)
    if valid:
        run_deleter(_raw_get_pointer(capsule, _DLTENSOR))
    if pending is not None:
        # Shown as "Exception ignored on calling ctypes callback function".
        raise RuntimeError(
            "geyser: a DLPack capsule was dropped while an exception was being raised (a "
            "consumer failed after taking it); its tensor was freed, the exception was: %s"
            % (pending,)
        ) from pending


#: The destructor as a C function pointer: a module global, alive as long as the process.
_DESTRUCTOR = ctypes.CFUNCTYPE(None, c_void_p)(_destroy_capsule)
_DESTRUCTOR_ADDRESS = ctypes.cast(_DESTRUCTOR, c_void_p).value


def capsule_from_tensor(tensor):
    """A ``"dltensor"`` capsule owning the ``DLManagedTensor*`` `tensor` (an int).

    The tensor's deleter runs when a consumer is done with it, or when the capsule goes
    unconsumed; if the capsule cannot be made, it runs at once."""
    try:
        return _capsule_new(tensor, _DLTENSOR, _DESTRUCTOR_ADDRESS)
    except BaseException:
        run_deleter(tensor)
        raise


def tensor_of_capsule(capsule):
    """The ``DLManagedTensor*`` (an int) of an unconsumed ``"dltensor"`` capsule, marking
    it consumed (``"used_dltensor"``): its deleter is the caller's to run from now on.

    Raises :class:`geyser.ValidationError` for anything else (a used or versioned
    capsule)."""
    if not _capsule_is_valid(capsule, _DLTENSOR):
        raise validation(
            "__dlpack__ did not return an unconsumed \"dltensor\" capsule (got %r)" % (capsule,)
        )
    tensor = _capsule_get_pointer(capsule, _DLTENSOR)
    _capsule_set_name(capsule, _USED_DLTENSOR)
    return tensor


def stream_argument(stream):
    """The ``void*`` CUstream of a DLPack / CUDA Array Interface stream value: None is
    NULL (the legacy default stream), 1 the legacy default stream, 2 the per-thread one,
    any other int that ``CUstream``; -1 ("no synchronization") is NULL as well."""
    if stream is None:
        return None
    if isinstance(stream, bool) or not isinstance(stream, int):
        # A stream object of torch / cupy: its handle.
        for attribute in ("cuda_stream", "ptr", "handle"):
            value = getattr(stream, attribute, None)
            if isinstance(value, int):
                stream = value
                break
        else:
            raise validation("a stream is an int (a CUstream), not %r" % (stream,))
    if stream == -1:
        return None
    if stream < 0:
        raise validation("stream %d is not a CUstream" % stream)
    return c_void_p(stream)


def device_of(obj):
    """``obj.__dlpack_device__()`` as (device_type, device_id); (kDLCPU, 0) without one."""
    method = getattr(obj, "__dlpack_device__", None)
    if method is None:
        return (kDLCPU, 0)
    device_type, device_id = method()
    return (int(device_type), int(device_id))


def take_tensor(obj, stream=None):
    """Exports `obj` through its ``__dlpack__`` for a consumer on `stream` (see
    :func:`stream_argument`; for a CUDA tensor None asks for the legacy default stream, 1).
    Returns (``DLManagedTensor*`` as an int, (device_type, device_id), the stream value
    the producer was given). The caller owns the tensor and must run its deleter (the
    C calls that take one do)."""
    device = device_of(obj)
    if device[0] == kDLCUDA:
        given = 1 if stream is None else stream
        if not isinstance(given, int):
            given = stream_argument(given).value or 1
        capsule = obj.__dlpack__(stream=given)
    elif device[0] == kDLCPU:
        given = None
        capsule = obj.__dlpack__()
    else:
        raise unsupported(
            "a DLPack tensor on device type %d (only kDLCPU = 1 and kDLCUDA = 2 are taken)"
            % device[0]
        )
    return tensor_of_capsule(capsule), device, given

