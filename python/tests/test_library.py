"""Loading libgeyser, its version, formats and APIs."""

import os
import subprocess
import sys

import pytest

import geyser
from helpers import REPO

pytestmark = pytest.mark.usefixtures("library")


def test_version_and_path():
    assert geyser.c_api_version() >= geyser.C_API_VERSION == 1
    assert geyser.__version__ == "0.1.0"
    assert "libgeyser" in os.path.basename(geyser.library_path())


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


def test_vulkan_device():
    with geyser.Device("vulkan") as device:
        info = device.info
        assert info.api == "vulkan" and info.name
        assert info.vk_device != 0 and len(info.uuid) == 16
    with pytest.raises(geyser.ValidationError):
        device.info  # closed
