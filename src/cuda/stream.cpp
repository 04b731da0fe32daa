// CUDA streams.
#include "geyser/cuda/stream.hpp"

#include <algorithm>
#include <thread>

#include "cuda_error.hpp"
#include "owners.hpp"

namespace geyser::cuda {

struct Stream::State {
  detail::StreamHandle stream;
};

Result<Stream> Stream::create(const Context& context) {
  const detail::SharedContext& shared = context.shared();
  GEYSER_TRY(auto current, detail::CurrentContext::push(*shared));
  CUstream stream = nullptr;
  GEYSER_TRY_VOID(
      detail::check(shared->api(), shared->api().cuStreamCreate(&stream, CU_STREAM_NON_BLOCKING),
                    "cuStreamCreate(CU_STREAM_NON_BLOCKING, " + shared->info.name + ")"));
  auto state = std::make_unique<State>();
  state->stream = detail::StreamHandle(shared, stream);
  return Stream(std::move(state));
}

Stream::Stream(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
Stream::Stream(Stream&&) noexcept = default;
Stream& Stream::operator=(Stream&&) noexcept = default;
Stream::~Stream() = default;

CUstream Stream::get() const noexcept {
  return state_->stream.get();
}

Result<void> Stream::synchronize() const {
  const detail::DriverApi& api = state_->stream.context()->api();
  return detail::check(api, api.cuStreamSynchronize(get()), "cuStreamSynchronize");
}

Result<void> Stream::wait(std::chrono::nanoseconds timeout) const {
  const detail::DriverApi& api = state_->stream.context()->api();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::chrono::microseconds pause{20};
  for (;;) {
    const CUresult result = api.cuStreamQuery(get());
    if (result == CUDA_SUCCESS) return {};
    if (result != CUDA_ERROR_NOT_READY) return detail::check(api, result, "cuStreamQuery");
    if (std::chrono::steady_clock::now() >= deadline) {
      return fail(ErrorCode::Timeout,
                  "cuda::Stream::wait: the stream is still busy after " +
                      std::to_string(
                          std::chrono::duration_cast<std::chrono::milliseconds>(timeout).count()) +
                      " ms");
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds{1000});
  }
}

}  // namespace geyser::cuda
