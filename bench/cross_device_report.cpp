// The cross-device scenario's JSON section and text table.
#include <cstdio>
#include <string>

#include "cross_device.hpp"
#include "text_format.hpp"

namespace geyser::bench {
namespace {

void write_device(JsonWriter& json, std::string_view key, const CrossDeviceInfo& device) {
  json.begin_object(key);
  json.string("name", device.name);
  json.string("driver", device.driver);
  json.string("uuid", device.uuid);
  json.end_object();
}

void write_row(JsonWriter& json, const CrossDeviceRow& row) {
  json.begin_object();
  json.string("mode", to_string(row.mode));
  json.string("resolution", row.resolution.label());
  json.integer("frame_bytes", row.frame_bytes);
  json.string("receiver_on",
              row.mode == CrossMode::DeviceHandoff ? "sender_device" : "receiver_device");
  json.string("transfer", row.transfer);
  json.string("sync_mode", row.sync_mode);
  json.integer("frames", row.frames);
  json.integer("frames_verified", row.frames_verified);
  json.integer("bad_frames", row.bad_frames);
  json.integer("frames_skipped", row.frames_skipped);
  json.number("latency_p50_us", row.latency_us.p50);
  json.number("latency_p99_us", row.latency_us.p99);
  json.number("latency_mean_us", row.latency_us.mean);
  write_summary(json, "latency_us", row.latency_us);
  json.number("gbps", row.gbps());
  json.end_object();
}

}  // namespace

void write_cross_device_json(JsonWriter& json, const CrossDeviceOutcome& outcome) {
  json.begin_object("cross_device");
  json.string("status", to_string(outcome.status));
  if (outcome.status != CrossDeviceOutcome::Status::Ok) json.string("reason", outcome.reason);
  if (!outcome.sender.name.empty()) {
    write_device(json, "sender_device", outcome.sender);
    write_device(json, "receiver_device", outcome.receiver);
    json.boolean("same_device", outcome.same_device);
  }
  json.integer("warmup", outcome.warmup);
  json.begin_array("rows");
  for (const CrossDeviceRow& row : outcome.rows) write_row(json, row);
  json.end_array();
  json.end_object();
}

void print_cross_device(std::ostream& out, const CrossDeviceOutcome& outcome) {
  if (!outcome.sender.name.empty()) {
    out << "  sender:   " << outcome.sender.name << " (" << outcome.sender.driver << "), UUID "
        << outcome.sender.uuid << "\n";
    out << "  receiver: " << outcome.receiver.name << " (" << outcome.receiver.driver << "), UUID "
        << outcome.receiver.uuid << "\n";
    out << (outcome.same_device
                ? "  one device: host_frames forced (TransferRequest::Host)\n"
                : "  two devices: host_frames negotiated (TransferRequest::Auto, UUIDs differ)\n");
  }
  if (outcome.status != CrossDeviceOutcome::Status::Ok) {
    out << "  " << to_string(outcome.status) << ": " << outcome.reason << "\n";
    return;
  }
  out << fmt("  %-15s %-10s %-9s %4s %6s %4s %11s %11s %11s %9s\n", "mode", "size", "receiver",
             "sync", "frames", "bad", "latency50", "latency99", "mean", "GB/s");
  for (const CrossDeviceRow& row : outcome.rows) {
    out << fmt("  %-15s %-10s %-9s %4s %6u %4llu %9.1fus %9.1fus %9.1fus %9.2f\n",
               to_string(row.mode), row.resolution.label().c_str(),
               row.mode == CrossMode::DeviceHandoff ? "sender's" : "receiver",
               row.sync_mode.c_str(), row.frames, static_cast<unsigned long long>(row.bad_frames),
               row.latency_us.p50, row.latency_us.p99, row.latency_us.mean, row.gbps());
  }
  out << "  latency: present() stamp -> acquire() returned with the frame usable on the "
         "receiver's device; GB/s = frame bytes / mean latency, one frame at a time\n";
}

}  // namespace geyser::bench
