/* What the in-process C checks share: connecting a receiver to a sender of the same
 * process, whose Hello that sender answers only in geyser_sender_poll. */
#ifndef GEYSER_TESTS_CAPI_CONNECT_POLLING_H
#define GEYSER_TESTS_CAPI_CONNECT_POLLING_H

#include <geyser/geyser.h>
#include <pthread.h>
#include <stdatomic.h>

struct geyser_check_pump {
  geyser_sender* sender;
  atomic_int done;
};

static void* geyser_check_poll(void* arg) {
  struct geyser_check_pump* p = arg;
  while (!atomic_load(&p->done)) (void)geyser_sender_poll(p->sender, 1);
  return NULL;
}

/* geyser_receiver_connect while a thread polls `sender`. */
static inline geyser_status connect_polling(geyser_sender* sender, const char* name, geyser_api api,
                                            const geyser_receiver_options* options,
                                            int32_t timeout_ms, geyser_receiver** out) {
  struct geyser_check_pump pump = {sender, 0};
  pthread_t thread;
  pthread_create(&thread, NULL, geyser_check_poll, &pump);
  const geyser_status connected = geyser_receiver_connect(name, api, options, timeout_ms, out);
  atomic_store(&pump.done, 1);
  pthread_join(thread, NULL);
  return connected;
}

#endif
