"""Choosing a device: Device(uuid=...) and Device(index=...), and the ValidationError for a
device nobody has (geyser_device_options.uuid, C API version 2)."""

import pytest

import geyser

pytestmark = pytest.mark.usefixtures("library")

NOBODY = "00112233-4455-6677-8899-aabbccddeeff"


def _default(api):
    try:
        with geyser.Device(api) as device:
            return device.info
    except geyser.UnsupportedError as e:
        pytest.skip("no %s device here: %s" % (api, e))


def test_vulkan_device_by_uuid_bytes_and_hex():
    want = _default("vulkan")
    dashed = "%s-%s-%s-%s-%s" % tuple(
        want.uuid[a:b].hex() for a, b in ((0, 4), (4, 6), (6, 8), (8, 10), (10, 16))
    )
    for uuid in (want.uuid, want.uuid.hex(), want.uuid.hex().upper(), dashed):
        with geyser.Device("vulkan", uuid=uuid) as device:
            assert device.info.uuid == want.uuid
            assert device.info.name == want.name


def test_vulkan_device_by_index_and_uuid_together():
    want = _default("vulkan")
    with geyser.Device("vulkan", index=0, uuid=want.uuid) as device:
        assert device.info.uuid == want.uuid  # lavapipe: the only device, index 0


@pytest.mark.parametrize("api", ["vulkan", "cuda"])
def test_a_device_nobody_has_is_a_validation_error(api):
    _default(api)
    with pytest.raises(geyser.ValidationError) as uuid_error:
        geyser.Device(api, uuid=NOBODY)
    assert "has UUID %s" % NOBODY in str(uuid_error.value)
    assert "devices are: 0: " in str(uuid_error.value)
    with pytest.raises(geyser.ValidationError) as index_error:
        geyser.Device(api, index=1000)
    assert "has index 1000" in str(index_error.value)


@pytest.mark.parametrize("uuid", [b"short", "xyz", "00" * 15, "00" * 17, 12345])
def test_a_malformed_uuid_is_a_validation_error(uuid):
    with pytest.raises(geyser.ValidationError):
        geyser.Device("vulkan", uuid=uuid)
