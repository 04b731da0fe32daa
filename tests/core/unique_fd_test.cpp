#include "geyser/unique_fd.hpp"

#include <cerrno>
#include <string>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace geyser {
namespace {

bool is_open(int fd) {
  return ::fcntl(fd, F_GETFD) != -1;
}
bool is_closed(int fd) {
  errno = 0;
  return ::fcntl(fd, F_GETFD) == -1 && errno == EBADF;
}

// A pipe whose two ends are owned by UniqueFds.
struct Pipe {
  UniqueFd read_end;
  UniqueFd write_end;
};
Pipe make_pipe() {
  int fds[2] = {-1, -1};
  EXPECT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  return Pipe{UniqueFd(fds[0]), UniqueFd(fds[1])};
}

TEST(UniqueFdTest, DefaultIsEmpty) {
  const UniqueFd fd;
  EXPECT_EQ(fd.get(), -1);
  EXPECT_FALSE(fd.valid());
  EXPECT_FALSE(static_cast<bool>(fd));
}

TEST(UniqueFdTest, ClosesOnDestruction) {
  int raw = -1;
  {
    Pipe p = make_pipe();
    raw = p.read_end.get();
    ASSERT_TRUE(p.read_end.valid());
    ASSERT_TRUE(is_open(raw));
  }
  EXPECT_TRUE(is_closed(raw));
}

TEST(UniqueFdTest, ResetClosesTheOldFdAndTakesTheNew) {
  Pipe p = make_pipe();
  const int first = p.read_end.get();
  const int second = p.write_end.release();
  p.read_end.reset(second);
  EXPECT_TRUE(is_closed(first));
  EXPECT_EQ(p.read_end.get(), second);
  EXPECT_TRUE(is_open(second));
  p.read_end.reset();
  EXPECT_FALSE(p.read_end.valid());
  EXPECT_TRUE(is_closed(second));
}

TEST(UniqueFdTest, ResetPreservesErrno) {
  Pipe p = make_pipe();
  errno = ENOENT;
  p.read_end.reset();
  EXPECT_EQ(errno, ENOENT);
}

TEST(UniqueFdTest, MoveConstructionTransfersOwnership) {
  Pipe p = make_pipe();
  const int raw = p.read_end.get();
  UniqueFd moved(std::move(p.read_end));
  EXPECT_EQ(moved.get(), raw);
  EXPECT_FALSE(p.read_end.valid());  // NOLINT(bugprone-use-after-move): moved-from is empty
  EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFdTest, MoveAssignmentClosesTheTargetsFd) {
  Pipe p = make_pipe();
  const int read_raw = p.read_end.get();
  const int write_raw = p.write_end.get();
  p.read_end = std::move(p.write_end);
  EXPECT_TRUE(is_closed(read_raw));
  EXPECT_EQ(p.read_end.get(), write_raw);
  EXPECT_FALSE(p.write_end.valid());  // NOLINT(bugprone-use-after-move)
  EXPECT_TRUE(is_open(write_raw));
}

TEST(UniqueFdTest, SelfMoveAssignmentKeepsTheFd) {
  Pipe p = make_pipe();
  const int raw = p.read_end.get();
  UniqueFd& alias = p.read_end;
  p.read_end = std::move(alias);
  EXPECT_EQ(p.read_end.get(), raw);
  EXPECT_TRUE(is_open(raw));
}

TEST(UniqueFdTest, ReleaseGivesUpOwnership) {
  int raw = -1;
  {
    Pipe p = make_pipe();
    raw = p.read_end.release();
    EXPECT_FALSE(p.read_end.valid());
  }
  EXPECT_TRUE(is_open(raw));
  EXPECT_EQ(::close(raw), 0);
}

TEST(UniqueFdTest, DuplicateGivesAnIndependentCloexecFdForTheSameFile) {
  Pipe p = make_pipe();
  auto copy = p.write_end.duplicate();
  ASSERT_TRUE(copy.has_value()) << copy.error().to_string();
  ASSERT_TRUE(copy->valid());
  EXPECT_NE(copy->get(), p.write_end.get());
  EXPECT_TRUE(::fcntl(copy->get(), F_GETFD) & FD_CLOEXEC);

  // Closing the original leaves the duplicate usable: it still writes into the same pipe.
  p.write_end.reset();
  const char byte = 'g';
  ASSERT_EQ(::write(copy->get(), &byte, 1), 1);
  char got = 0;
  ASSERT_EQ(::read(p.read_end.get(), &got, 1), 1);
  EXPECT_EQ(got, 'g');
}

TEST(UniqueFdTest, DuplicateOfEmptyIsValidation) {
  const UniqueFd empty;
  const auto copy = empty.duplicate();
  ASSERT_FALSE(copy.has_value());
  EXPECT_EQ(copy.error().code(), ErrorCode::Validation);
  EXPECT_NE(copy.error().message().find("-1"), std::string::npos) << copy.error().message();
}

TEST(UniqueFdTest, DuplicateOfClosedFdIsValidation) {
  Pipe p = make_pipe();
  const int raw = p.read_end.release();
  ASSERT_EQ(::close(raw), 0);
  UniqueFd stale(raw);  // owns a number that no longer names an open file
  const auto copy = stale.duplicate();
  ASSERT_FALSE(copy.has_value());
  EXPECT_EQ(copy.error().code(), ErrorCode::Validation);
  EXPECT_EQ(copy.error().native_domain(), NativeDomain::Errno);
  EXPECT_EQ(copy.error().native_code(), EBADF);
  EXPECT_NE(copy.error().message().find(std::to_string(raw)), std::string::npos)
      << copy.error().message();
  // Don't let the destructor close the number: another thread may have been given it.
  (void)stale.release();
}

}  // namespace
}  // namespace geyser
