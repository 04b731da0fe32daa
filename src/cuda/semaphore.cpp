// Timeline semaphores imported into CUDA.
#include "geyser/cuda/semaphore.hpp"

#include <string>
#include <utility>

#include "cuda_error.hpp"
#include "geyser/cuda/identity.hpp"
#include "opaque_fd.hpp"
#include "owners.hpp"

namespace geyser::cuda {

struct TimelineSemaphore::State {
  detail::ExternalSemaphore semaphore;
};

Result<TimelineSemaphore> TimelineSemaphore::import(const Context& context, UniqueHandle fd) {
  GEYSER_TRY_VOID(detail::check_opaque_fd(fd, "cuda import of a timeline semaphore"));
  const detail::SharedContext& shared = context.shared();
  GEYSER_TRY(auto current, detail::CurrentContext::push(*shared));
  CUDA_EXTERNAL_SEMAPHORE_HANDLE_DESC desc{};
  desc.type = CU_EXTERNAL_SEMAPHORE_HANDLE_TYPE_TIMELINE_SEMAPHORE_FD;
  desc.handle.fd = fd.get();
  desc.flags = 0;
  CUexternalSemaphore semaphore = nullptr;
  const CUresult result = shared->api().cuImportExternalSemaphore(&semaphore, &desc);
  if (result != CUDA_SUCCESS) {
    // `fd` closes it: the driver took nothing.
    return fail(detail::cuda_error(&shared->api(), result,
                                   "cuImportExternalSemaphore(timeline semaphore fd " +
                                       std::to_string(fd.get()) + ", on " + shared->info.name +
                                       ")"));
  }
  (void)fd.release();  // the driver owns it now
  auto state = std::make_unique<State>();
  state->semaphore = detail::ExternalSemaphore(shared, semaphore);
  return TimelineSemaphore(std::move(state));
}

Result<TimelineSemaphore> TimelineSemaphore::import(const Context& context,
                                                    const SemaphoreShareHandle& handle) {
  GEYSER_TRY_VOID(check_identity(context.info(), handle.identity));
  if (handle.handle_type != SemaphoreHandleType::OpaqueFd) {
    return fail(ErrorCode::Unsupported, "cuda import of a semaphore: handle type " +
                                            std::string(to_string(handle.handle_type)) +
                                            "; CUDA imports opaque fds here");
  }
  if (handle.type != SemaphoreType::Timeline) {
    return fail(ErrorCode::Validation,
                "cuda import of a semaphore: a " + std::string(to_string(handle.type)) +
                    " semaphore; Geyser imports timeline semaphores into CUDA");
  }
  GEYSER_TRY(UniqueHandle fd,
             detail::duplicate_for_import(handle.os_handle, "cuda import of a timeline semaphore"));
  return import(context, std::move(fd));
}

TimelineSemaphore::TimelineSemaphore(std::unique_ptr<State> state) noexcept
    : state_(std::move(state)) {}
TimelineSemaphore::TimelineSemaphore(TimelineSemaphore&&) noexcept = default;
TimelineSemaphore& TimelineSemaphore::operator=(TimelineSemaphore&&) noexcept = default;
TimelineSemaphore::~TimelineSemaphore() = default;

CUexternalSemaphore TimelineSemaphore::get() const noexcept {
  return state_->semaphore.get();
}

Result<void> TimelineSemaphore::wait(std::uint64_t value, CUstream stream) const {
  const detail::SharedContext& shared = state_->semaphore.context();
  GEYSER_TRY(auto current, detail::CurrentContext::push(*shared));
  CUDA_EXTERNAL_SEMAPHORE_WAIT_PARAMS params{};
  params.params.fence.value = value;
  const CUexternalSemaphore semaphore = get();
  return detail::check(shared->api(),
                       shared->api().cuWaitExternalSemaphoresAsync(&semaphore, &params, 1, stream),
                       "cuWaitExternalSemaphoresAsync(value " + std::to_string(value) + ")");
}

Result<void> TimelineSemaphore::signal(std::uint64_t value, CUstream stream) const {
  const detail::SharedContext& shared = state_->semaphore.context();
  GEYSER_TRY(auto current, detail::CurrentContext::push(*shared));
  CUDA_EXTERNAL_SEMAPHORE_SIGNAL_PARAMS params{};
  params.params.fence.value = value;
  const CUexternalSemaphore semaphore = get();
  return detail::check(
      shared->api(), shared->api().cuSignalExternalSemaphoresAsync(&semaphore, &params, 1, stream),
      "cuSignalExternalSemaphoresAsync(value " + std::to_string(value) + ")");
}

}  // namespace geyser::cuda
