// Micro-benchmarks for ingest/: the RTMP chunk layer on a publisher's video, 50 KB frames
// (a 720p keyframe-ish size) in 4 KB chunks as OBS and ffmpeg send them after Set Chunk Size
// 4096, and in the protocol's default 128-byte chunks. The reader pays one copy per payload
// byte (socket buffer into the message's block); the writer none. main() comes from
// benchmark_main.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include "core/slice.h"
#include "ingest/rtmp/chunk_reader.h"
#include "ingest/rtmp/chunk_writer.h"

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

}  // namespace
}  // namespace tidecast::ingest::rtmp
