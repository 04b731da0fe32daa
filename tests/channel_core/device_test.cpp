// Device identity: slots only pass between the same driver and device. A receiver on
// another device is refused at connect, and the sender goes on for the others.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace geyser::channel::test {
namespace {

struct Mismatch {
  const char* name;
  DeviceIdentity sender;
  DeviceIdentity receiver;
};

DeviceIdentity other_driver() {
  DeviceIdentity identity = fake_identity();
  identity.driver_uuid[15] ^= 1;
  return identity;
}

class DeviceMismatch : public ::testing::TestWithParam<Mismatch> {};

TEST_P(DeviceMismatch, IsRefusedAtConnect) {
  auto transport = make_transport();
  auto control = std::make_shared<FakeSenderControl>();
  control->identity = GetParam().sender;
  auto sender = publish_fake(transport, control);
  ASSERT_TRUE(sender);
  auto receiver_control = std::make_shared<FakeReceiverControl>();
  receiver_control->identity = GetParam().receiver;
  auto receiver = connect_fake(*sender, transport, receiver_control);
  ASSERT_FALSE(receiver);
  EXPECT_EQ(receiver.error().code(), ErrorCode::DeviceMismatch) << receiver.error().to_string();
  EXPECT_EQ(receiver_control->live_imports, 0);
  EXPECT_EQ(sender->stats().dropped_connections, 1u);
  EXPECT_EQ(sender->stats().receivers, 0u);
  EXPECT_EQ(control->live_links, 0);
  // The sender goes on; a receiver on its device is served.
  auto written = write_frame(*sender);
  ASSERT_TRUE(written);
  auto good_control = std::make_shared<FakeReceiverControl>();
  good_control->identity = GetParam().sender;
  auto good = connect_fake(*sender, transport, good_control);
  if (!GetParam().sender.known()) {
    // A sender whose device is unknown can serve nobody.
    ASSERT_FALSE(good);
    EXPECT_EQ(good.error().code(), ErrorCode::DeviceMismatch);
    return;
  }
  ASSERT_TRUE(good) << good.error().to_string();
  ASSERT_TRUE(write_frame(*sender));
  auto lease = good->acquire(kWait);
  ASSERT_TRUE(lease);
  EXPECT_TRUE(holds_pattern(*lease));
}

INSTANTIATE_TEST_SUITE_P(
    Identities, DeviceMismatch,
    ::testing::Values(Mismatch{"AnotherDevice", fake_identity(1), fake_identity(2)},
                      Mismatch{"AnotherDriver", fake_identity(1), other_driver()},
                      Mismatch{"UnknownReceiver", fake_identity(1), DeviceIdentity{}},
                      Mismatch{"UnknownSender", DeviceIdentity{}, fake_identity(1)},
                      Mismatch{"BothUnknown", DeviceIdentity{}, DeviceIdentity{}}),
    [](const ::testing::TestParamInfo<Mismatch>& test) { return std::string(test.param.name); });

}  // namespace
}  // namespace geyser::channel::test
