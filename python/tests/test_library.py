"""Loading libgeyser, its version, formats and APIs."""

import ctypes
import os
import subprocess
import sys

import pytest

import geyser
from helpers import REPO

pytestmark = pytest.mark.usefixtures("library")


def test_version_and_path():
    assert geyser.c_api_version() >= geyser.C_API_VERSION == 6
    assert geyser.__version__ == "0.1.0"
    assert "libgeyser" in os.path.basename(geyser.library_path())


def test_option_structs_are_the_library_size():
    """Each *_options_init_sized (C API version 6) writes min(the size given, the library's
    sizeof) into struct_size and not one byte past it. Given more room than any struct
    needs, it says the library's sizeof: the ctypes mirror must be that size (also without a
    C compiler, unlike the check of the header below). Given the mirror's size, which the
    package passes, it writes exactly that; a size below the struct's first released one
    is Validation, nothing written. And spin_us must be where init puts -1: on 64-bit
    targets it lies in what was version 4's tail padding, so a mirror without it would
    still be the header's size."""
    from geyser import _lib
    from geyser.errors import check

    lib = _lib.lib()
    mirrors = (
        (_lib.geyser_device_options, lib.geyser_device_options_init_sized),
        (_lib.geyser_receiver_options, lib.geyser_receiver_options_init_sized),
        (_lib.geyser_sender_options, lib.geyser_sender_options_init_sized),
    )
    room = 512
    for struct, init in mirrors:
        size = ctypes.sizeof(struct)
        memory = (ctypes.c_uint8 * room)(*([0x5A] * room))  # room for a larger C struct
        assert init(ctypes.cast(memory, ctypes.POINTER(struct)), room) == _lib.OK
        raw = struct.from_buffer(memory)
        assert raw.struct_size == size, struct.__name__
        assert bytes(memory[size:]) == b"\x5a" * (room - size), struct.__name__

        memory = (ctypes.c_uint8 * room)(*([0x5A] * room))
        assert init(ctypes.cast(memory, ctypes.POINTER(struct)), size) == _lib.OK
        assert struct.from_buffer(memory).struct_size == size, struct.__name__
        assert bytes(memory[size:]) == b"\x5a" * (room - size), struct.__name__

    # The smallest released sizes: version 1's device options end before uuid; receiver
    # options before spin_us (rounded up to a pointer's alignment: version 4's sizeof);
    # sender options are as they were in version 1.
    pointer = ctypes.sizeof(ctypes.c_void_p)
    smallest = (
        _lib.geyser_device_options.uuid.offset,
        -(-_lib.geyser_receiver_options.spin_us.offset // pointer) * pointer,
        ctypes.sizeof(_lib.geyser_sender_options),
    )
    for (struct, init), least in zip(mirrors, smallest):
        memory = (ctypes.c_uint8 * room)(*([0x5A] * room))
        assert init(ctypes.cast(memory, ctypes.POINTER(struct)), least) == _lib.OK
        assert struct.from_buffer(memory).struct_size == least, struct.__name__
        assert bytes(memory[least:]) == b"\x5a" * (room - least), struct.__name__
        memory = (ctypes.c_uint8 * room)(*([0x5A] * room))
        status = init(ctypes.cast(memory, ctypes.POINTER(struct)), least - 1)
        assert status == _lib.STATUS_VALIDATION, struct.__name__
        message = lib.geyser_last_error().decode()
        assert "init_sized" in message and "struct_size %d" % (least - 1) in message, message
        assert bytes(memory) == b"\x5a" * room, struct.__name__
        with pytest.raises(geyser.ValidationError, match="is below %d" % least):
            check(init(ctypes.cast(memory, ctypes.POINTER(struct)), least - 1))
    if pointer == 8:
        assert smallest[:2] == (24, 40)

    options = _lib.geyser_receiver_options()
    assert lib.geyser_receiver_options_init_sized(ctypes.byref(options), ctypes.sizeof(options)) == 0
    assert (options.handshake_timeout_ms, options.gpu_timeout_ms, options.spin_us) == (-1, -1, -1)
    device = _lib.geyser_device_options()
    assert lib.geyser_device_options_init_sized(ctypes.byref(device), ctypes.sizeof(device)) == 0
    assert (device.index, device.validation, device.uuid) == (-1, -1, None)


def test_import_without_library_fails_on_first_call(tmp_path):
    env = dict(os.environ)
    env["GEYSER_LIBRARY"] = str(tmp_path / "libgeyser-missing.so")
    env["LD_LIBRARY_PATH"] = str(tmp_path)
    env["PYTHONPATH"] = str(REPO / "python")
    code = (
        "import geyser, sys\n"
        "assert 'numpy' not in sys.modules, 'numpy imported eagerly'\n"
        "try:\n"
        "    geyser.list_channels()\n"
        "except geyser.UnsupportedError as e:\n"
        "    print(e.code, '|', e)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    code_name, _, message = out.stdout.partition("|")
    assert code_name.strip() == "Unsupported"
    assert "libgeyser-missing.so" in message and "$GEYSER_LIBRARY" in message
    assert "libgeyser.so.0" in message


def test_formats():
    formats = geyser.all_formats()
    assert len(formats) == 28
    assert formats[0].name == "Rgba8Unorm" and formats[0].texel_size == 4
    assert geyser.format_info("rgba8").name == "Rgba8Unorm"
    assert geyser.format_info("BGRA8").name == "Bgra8Unorm"
    assert geyser.format_info("rgba16float").texel_size == 8
    table = {
        "Rgba8Unorm": ("|u1", 4, False),
        "Rgba8Snorm": ("|i1", 4, False),
        "R16Float": ("<f2", 1, False),
        "Rgba16Unorm": ("<u2", 4, False),
        "R16Sint": ("<i2", 1, False),
        "Rgba32Float": ("<f4", 4, False),
        "R32Sint": ("<i4", 1, False),
        "Rgb10a2Unorm": ("<u4", 1, True),
        "Rg11b10Float": ("<u4", 1, True),
        "Depth16Unorm": ("<u2", 1, True),
        "Depth32Float": ("<f4", 1, True),
    }
    for name, (typestr, channels, packed) in table.items():
        element = geyser.element_type(name)
        assert (element.typestr, element.channels, element.packed) == (typestr, channels, packed), name


def test_api_available():
    assert geyser.api_available("host")
    assert geyser.api_available("vulkan")  # lavapipe at least
    assert isinstance(geyser.api_available("cuda"), bool)
    with pytest.raises(geyser.ValidationError):
        geyser.api_available("metal")


def test_opengl_needs_a_current_context():
    # Python makes no GL context: OpenGL receivers and senders cannot work on this thread.
    reason = geyser.api_unavailable_reason("opengl")
    assert reason is not None
    assert "context is current" in reason or "without the OpenGL backend" in reason, reason


def test_vulkan_device():
    with geyser.Device("vulkan") as device:
        info = device.info
        assert info.api == "vulkan" and info.name
        assert info.vk_device != 0 and len(info.uuid) == 16
    with pytest.raises(geyser.ValidationError):
        device.info  # closed


STRUCTS = [
    "geyser_format_info",
    "geyser_device_options",
    "geyser_vulkan_adopt_info",
    "geyser_device_info",
    "geyser_channel_info",
    "geyser_receiver_options",
    "geyser_frame",
    "geyser_receiver_stats",
    "geyser_sender_options",
    "geyser_slot",
    "geyser_sender_stats",
]


def test_struct_mirrors_match_the_header(tmp_path):
    """Every ctypes mirror has geyser.h's size and field offsets: a C file of static
    assertions, one a field, checked by cc with -fsyntax-only (nothing is linked or run)."""
    import shutil

    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        pytest.skip("no C compiler to read geyser.h's layout with")
    from geyser import _lib

    lines = ["#include <stddef.h>", "#include \"geyser/geyser.h\""]
    for name in STRUCTS:
        struct = getattr(_lib, name)
        lines.append(
            '_Static_assert(sizeof(%s) == %d, "%s: ctypes says %d bytes");'
            % (name, ctypes.sizeof(struct), name, ctypes.sizeof(struct))
        )
        for field, _ in struct._fields_:
            offset = getattr(struct, field).offset
            lines.append(
                '_Static_assert(offsetof(%s, %s) == %d, "%s.%s: ctypes says offset %d");'
                % (name, field, offset, name, field, offset)
            )
    source = tmp_path / "layout.c"
    source.write_text("\n".join(lines) + "\n")
    checked = subprocess.run(
        [compiler, "-std=c11", "-fsyntax-only", "-I", str(REPO / "include"), str(source)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stderr[-2000:]
