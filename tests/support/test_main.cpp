// main() for the device tests: turns the Khronos validation layer on and fails any test
// during which it reported an error.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "geyser/vulkan/device.hpp"

namespace {

// Fails the test (or test suite set-up and tear-down) during which
// geyser::vulkan::validation_error_count() grew. Every event compares against the count at
// the previous event, so messages from SetUpTestSuite are charged to the suite's first test
// and messages from TearDownTestSuite (device destruction) to the suite itself.
class ValidationErrorListener : public testing::EmptyTestEventListener {
 public:
  void OnTestSuiteStart(const testing::TestSuite& /*suite*/) override { check("before the suite"); }
  void OnTestStart(const testing::TestInfo& /*info*/) override {
    check("before the test started (SetUpTestSuite or an earlier suite)");
  }
  void OnTestEnd(const testing::TestInfo& /*info*/) override { check("during the test"); }
  void OnTestSuiteEnd(const testing::TestSuite& suite) override {
    check(std::string("after the last test of ") + suite.name() + " (TearDownTestSuite)");
  }

 private:
  void check(const std::string& when) {
    const std::uint64_t now = geyser::vulkan::validation_error_count();
    if (now > seen_) {
      ADD_FAILURE() << "The Vulkan validation layer reported " << (now - seen_) << " error(s) "
                    << when << " (see the messages above; total " << now << ")";
    }
    seen_ = now;
  }
  std::uint64_t seen_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  // Validation on unless the environment says otherwise (GEYSER_VALIDATION=0).
  setenv("GEYSER_VALIDATION", "1", 0);
  testing::InitGoogleTest(&argc, argv);
  testing::UnitTest::GetInstance()->listeners().Append(new ValidationErrorListener);
  return RUN_ALL_TESTS();
}
