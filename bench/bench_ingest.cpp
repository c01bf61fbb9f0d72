// Micro-benchmarks for ingest/: the RTMP chunk layer on a publisher's video, 50 KB frames
// (a 720p keyframe-ish size) in 4 KB chunks as OBS and ffmpeg send them after Set Chunk Size
// 4096, and in the protocol's default 128-byte chunks. The reader pays one copy per payload
// byte (socket buffer into the message's block); the writer none. And the RTMP play fan-out:
// one 20 KB video packet pushed through a core::Stream to 1 or 1000 players that each do
// what an RTMP player session does per packet (backlog decision, the shared chunked form from
// a one-entry cache as RtmpServer::chunked keeps it, append to the socket's WriteBatch, then
// the flush: iovecs + consume, as TcpStream::flush does when uv_try_write takes everything).
// Heap allocations are counted (operator new is replaced in this file) to show the payload
// is never copied. main() comes from benchmark_main.
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

#include "core/backlog_policy.h"
#include "core/media/media_packet.h"
#include "core/slice.h"
#include "core/slice_writer.h"
#include "core/stream.h"
#include "ingest/rtmp/chunk_reader.h"
#include "ingest/rtmp/chunk_writer.h"

// ---- allocation counting (whole binary) ----------------------------------------------------
namespace {
std::atomic<uint64_t> gAllocCalls{0};
std::atomic<uint64_t> gAllocBytes{0};
std::atomic<uint64_t> gLargeAllocBytes{0};  // single allocations of 4 KiB or more
constexpr size_t kLargeAlloc = 4096;

void* countedAlloc(size_t size) {
  gAllocCalls.fetch_add(1, std::memory_order_relaxed);
  gAllocBytes.fetch_add(size, std::memory_order_relaxed);
  if (size >= kLargeAlloc) gLargeAllocBytes.fetch_add(size, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(size_t size) { return countedAlloc(size); }
void* operator new[](size_t size) { return countedAlloc(size); }
void* operator new(size_t size, const std::nothrow_t&) noexcept {
  try {
    return countedAlloc(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  try {
    return countedAlloc(size);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }

namespace tidecast::ingest::rtmp {
namespace {

constexpr size_t kFrameBytes = 50 * 1024;
constexpr int kFramesPerStream = 64;
constexpr size_t kReadBytes = 64 * 1024;  // what one socket read hands the reader

core::Slice frame(char fill) { return core::Slice::copyOf(std::string(kFrameBytes, fill)); }

// kFramesPerStream video messages at 30 fps, chunked with `chunkSize`.
std::string videoStream(uint32_t chunkSize) {
  ChunkWriter writer(chunkSize);
  core::SliceList out;
  for (int i = 0; i < kFramesPerStream; ++i) {
    writer.writeMessage(6, kMsgVideo, 1, static_cast<uint32_t>(i * 33), {frame('v')}, out);
  }
  std::string bytes;
  for (const auto& slice : out) bytes.append(slice.view());
  return bytes;
}

void BM_ChunkReaderVideo(benchmark::State& state) {
  auto chunkSize = static_cast<uint32_t>(state.range(0));
  std::string stream = videoStream(chunkSize);
  ChunkReader reader;
  core::SliceList setChunkSize;
  ChunkWriter(kDefaultChunkSize)
      .writeControl(kMsgSetChunkSize, makeSetChunkSize(chunkSize), setChunkSize);
  auto ignore = [](RtmpMessage&&) {};
  if (!reader.feed(setChunkSize[0].view(), ignore) ||
      !reader.feed(setChunkSize[1].view(), ignore)) {
    std::abort();
  }
  int64_t messages = 0;
  auto count = [&](RtmpMessage&& message) {
    benchmark::DoNotOptimize(message.payload.data());
    ++messages;
  };
  for (auto _ : state) {
    std::string_view bytes = stream;
    while (!bytes.empty()) {
      std::string_view piece = bytes.substr(0, kReadBytes);
      if (!reader.feed(piece, count)) std::abort();
      bytes.remove_prefix(piece.size());
    }
  }
  if (messages != static_cast<int64_t>(state.iterations()) * kFramesPerStream) std::abort();
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(messages);
}
BENCHMARK(BM_ChunkReaderVideo)->Arg(4096)->Arg(128);

void BM_ChunkWriterVideo(benchmark::State& state) {
  ChunkWriter writer(static_cast<uint32_t>(state.range(0)));
  core::SliceList payload{frame('v')};
  core::SliceList out;
  for (auto _ : state) {
    out.clear();
    writer.writeMessage(6, kMsgVideo, 1, 33, payload, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kFrameBytes));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_ChunkWriterVideo)->Arg(4096)->Arg(128);

// ---- RTMP play fan-out -----------------------------------------------------------------------

constexpr size_t kFanOutPacketBytes = 20 * 1024;
constexpr size_t kFlvVideoHeaderBytes = 5;  // AVC: frame type/codec, packet type, composition time
constexpr uint32_t kPlayStreamId = 1;
constexpr uint32_t kPlayChunkSize = 4096;  // rtmp.chunk_size default
constexpr uint32_t kVideoChunkStream = 6;

// RtmpServer::chunked, reproduced (the server needs a loop, a hub and a listener to exist):
// the packet's chunked form is built once and handed to every player asking for the same
// packet and message stream.
class ChunkedCache {
 public:
  const core::SliceList& chunked(const core::media::MediaPacketPtr& packet, uint32_t streamId) {
    if (packet_ == packet && streamId_ == streamId) return chunks_;
    core::SliceList payload;
    if (!packet->flvHeader.empty()) payload.push_back(packet->flvHeader);
    if (!packet->data.empty()) payload.push_back(packet->data);
    chunks_.clear();
    writer_.writeMessage(kVideoChunkStream, kMsgVideo, streamId, static_cast<uint32_t>(packet->dts),
                         payload, chunks_);
    packet_ = packet;
    streamId_ = streamId;
    return chunks_;
  }

 private:
  ChunkWriter writer_{kPlayChunkSize};
  core::media::MediaPacketPtr packet_;
  uint32_t streamId_ = 0;
  core::SliceList chunks_;
};

// What RtmpSession::onPacket + TcpStream::write/flush do for one player, minus the syscall.
class FanOutPlayer final : public core::StreamSink {
 public:
  explicit FanOutPlayer(ChunkedCache& cache) : cache_(cache), backlog_(core::BacklogLimits{}) {}

  void onPacket(const core::media::MediaPacketPtr& packet) override {
    if (backlog_.decide(*packet, batch_.bytes()) != core::BacklogPolicy::Decision::kSend) {
      std::abort();  // never behind here: every flush writes everything
    }
    batch_.append(cache_.chunked(packet, kPlayStreamId));
  }
  void onStreamEnd(std::string_view) override {}

  // The end-of-turn flush, as if uv_try_write took every byte.
  void flush() {
    const std::vector<uv_buf_t>& buffers = batch_.iovecs();
    size_t bytes = 0;
    for (const auto& buffer : buffers) bytes += buffer.len;
    benchmark::DoNotOptimize(buffers.data());
    batch_.consume(bytes);
  }
  const core::WriteBatch& batch() const { return batch_; }

 private:
  ChunkedCache& cache_;
  core::BacklogPolicy backlog_;
  core::WriteBatch batch_;
};

core::media::MediaPacketPtr videoPacket(const core::Slice& body, int64_t dts) {
  auto packet = std::make_shared<core::media::MediaPacket>();
  packet->track = core::media::TrackType::kVideo;
  packet->codec = core::media::Codec::kH264;
  packet->dts = dts;
  packet->flvHeader = body.sub(0, kFlvVideoHeaderBytes);
  packet->data = body.sub(kFlvVideoHeaderBytes);
  return packet;
}

void fanOutPacket(benchmark::State& state, size_t playerCount) {
  // The message payload as ingest assembled it: one block, shared from here on.
  const core::Slice body = core::Slice::copyOf(std::string(kFanOutPacketBytes, 'v'));
  core::Stream stream("live/bench", 1, 32 * 1024 * 1024);
  ChunkedCache cache;
  std::vector<std::unique_ptr<FanOutPlayer>> players;
  for (size_t i = 0; i < playerCount; ++i) {
    players.push_back(std::make_unique<FanOutPlayer>(cache));
    stream.addSink(*players.back());
  }

  // Zero copy, checked once: after the fan-out every player's queued bytes are the packet's
  // own block (by address) plus chunk headers, and the block gained references, not copies.
  int64_t dts = 0;
  {
    long refsBefore = body.useCount();
    stream.push(videoPacket(body, dts++), 0);
    const auto* lo = body.data();
    const auto* hi = lo + body.size();
    size_t sharedSlices = 0;
    for (const auto& player : players) {
      size_t shared = 0;
      size_t total = 0;
      for (const auto& buffer : player->batch().buffers()) {
        const auto* base = reinterpret_cast<const uint8_t*>(buffer.base);
        if (base >= lo && base + buffer.len <= hi) {
          shared += buffer.len;
          ++sharedSlices;
        }
        total += buffer.len;
      }
      if (shared != kFanOutPacketBytes || total - shared > 64) std::abort();
    }
    // Every player slice into the payload is one more reference on its block.
    if (body.useCount() - refsBefore < static_cast<long>(sharedSlices)) std::abort();
    state.counters["payload_refs_per_player"] =
        static_cast<double>(sharedSlices) / static_cast<double>(playerCount);
    for (auto& player : players) player->flush();
  }

  uint64_t calls0 = gAllocCalls.load();
  uint64_t bytes0 = gAllocBytes.load();
  uint64_t large0 = gLargeAllocBytes.load();
  for (auto _ : state) {
    stream.push(videoPacket(body, dts), dts);  // a new packet, as ingest makes one per message
    dts += 33;
    for (auto& player : players) player->flush();
  }
  auto perPacket = [&](uint64_t delta) {
    return static_cast<double>(delta) / static_cast<double>(state.iterations());
  };
  double allocBytes = perPacket(gAllocBytes.load() - bytes0);
  state.counters["alloc_bytes_per_packet"] = allocBytes;
  state.counters["allocs_per_packet"] = perPacket(gAllocCalls.load() - calls0);
  state.counters["alloc_bytes_per_delivery"] = allocBytes / static_cast<double>(playerCount);
  // A copy of the 20 KB payload for any player would show here: it must stay 0.
  state.counters["large_alloc_bytes_per_packet"] = perPacket(gLargeAllocBytes.load() - large0);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * playerCount));
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * playerCount * kFanOutPacketBytes));
  for (auto& player : players) stream.removeSink(*player);
}

void BM_FanOutPacketTo1000Players(benchmark::State& state) { fanOutPacket(state, 1000); }
BENCHMARK(BM_FanOutPacketTo1000Players);

void BM_FanOutPacketTo1Player(benchmark::State& state) { fanOutPacket(state, 1); }
BENCHMARK(BM_FanOutPacketTo1Player);

}  // namespace
}  // namespace tidecast::ingest::rtmp
