// order_after: one stream waits for another through an event that lives only as long as
// the two calls need it (the driver keeps it until the wait has been reached); StreamOrder:
// the same through one event kept for the next time.
#include <string>

#include "cuda_error.hpp"
#include "geyser/cuda/stream.hpp"
#include "owners.hpp"
#include "primary_context.hpp"

namespace geyser::cuda {

struct StreamOrder::State {
  detail::Owner<detail::EventTraits> event;
};

Result<StreamOrder> StreamOrder::create(const Context& context) {
  const detail::SharedContext& shared = context.shared();
  const detail::DriverApi& api = shared->api();
  GEYSER_TRY(auto current, detail::CurrentContext::push(*shared));
  CUevent event = nullptr;
  GEYSER_TRY_VOID(detail::check(api, api.cuEventCreate(&event, CU_EVENT_DISABLE_TIMING),
                                "cuEventCreate(CU_EVENT_DISABLE_TIMING)"));
  auto state = std::make_unique<State>();
  state->event = detail::Owner<detail::EventTraits>(shared, event);
  return StreamOrder(std::move(state));
}

StreamOrder::StreamOrder(std::unique_ptr<State> state) noexcept : state_(std::move(state)) {}
StreamOrder::StreamOrder(StreamOrder&&) noexcept = default;
StreamOrder& StreamOrder::operator=(StreamOrder&&) noexcept = default;
StreamOrder::~StreamOrder() = default;

Result<void> StreamOrder::order_after(CUstream waiter, CUstream signaller) {
  if (waiter == signaller) return {};
  const detail::SharedContext& shared = state_->event.context();
  const detail::DriverApi& api = shared->api();
  GEYSER_TRY(auto current, detail::CurrentContext::push(*shared));
  CUevent event = state_->event.get();
  GEYSER_TRY_VOID(detail::check(api, api.cuEventRecord(event, signaller), "cuEventRecord"));
  return detail::check(api, api.cuStreamWaitEvent(waiter, event, 0), "cuStreamWaitEvent");
}

// A StreamOrder used once: its event is destroyed on return, which is allowed for a recorded
// event (its resources go once the wait is reached).
Result<void> order_after(const Context& context, CUstream waiter, CUstream signaller) {
  if (waiter == signaller) return {};
  GEYSER_TRY(StreamOrder order, StreamOrder::create(context));
  return order.order_after(waiter, signaller);
}

}  // namespace geyser::cuda
