// Fuzz target: the CMAF packager and what HLS and DASH make of it. The input is a program
// of publisher events (first byte: settings), each an opcode byte and its arguments:
//   0 video frame   flags (key, codec, jump, long cts), dts delta, cts, payload size
//   1 audio frame   flags (codec, jump), dts delta, payload size
//   2 video config  codec, a known record or bytes from the input
//   3 audio config  codec, a known AudioSpecificConfig / OpusHead or bytes from the input
//   4 the publisher leaves        5 a new publishing session (replayed configs, new base)
//   6 render and check            7 a run of A/V frames (count, gop, intervals)
//   8 odd packets (data, end of sequence, empty)
//   9 a held request (blocking reload) that renders when ready, or cancels another
// Timestamps may go backwards or jump. After the program the publisher leaves and
// everything is checked: each segment's bytes walk as [styp] moof mdat fragments whose
// sizes, data offsets, decode times and sample counts agree with the packager's parts;
// part ids and msns are consecutive; every init a playlist or the MPD names exists.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "delivery/dash/mpd.h"
#include "delivery/hls/hls_plugin.h"
#include "delivery/hls/media_playlist.h"
#include "delivery/hls/multivariant_playlist.h"
#include "tests/core/media/media_test_vectors.h"
#include "tests/delivery/cmaf/bmff_reader.h"
#include "tests/delivery/cmaf/cmaf_test_util.h"

namespace {

namespace cmaf = tidecast::delivery::cmaf;
namespace hls = tidecast::delivery::hls;
namespace testdata = tidecast::core::media::testdata;
namespace testutil = tidecast::delivery::cmaf::testutil;
using tidecast::core::Slice;
using tidecast::core::media::Codec;
using tidecast::core::media::MediaPacket;
using tidecast::core::media::MediaPacketPtr;
using tidecast::core::media::TrackType;

void check(bool ok) {
  if (!ok) __builtin_trap();
}

class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return at_ >= size_; }
  uint8_t u8() { return at_ < size_ ? data_[at_++] : 0; }
  int16_t s16() {
    uint8_t low = u8();
    uint8_t high = u8();
    return static_cast<int16_t>(low | (high << 8));
  }
  std::span<const uint8_t> bytes(size_t n) {
    n = std::min(n, size_ - std::min(at_, size_));
    std::span<const uint8_t> out(data_ + at_, n);
    at_ += n;
    return out;
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
};

constexpr Codec kVideoCodecs[] = {Codec::kH264, Codec::kHevc, Codec::kAv1, Codec::kUnknown};
constexpr Codec kAudioCodecs[] = {Codec::kAac, Codec::kOpus, Codec::kMp3, Codec::kAac};

std::span<const uint8_t> knownVideoConfig(Codec codec, unsigned pick) {
  if (codec == Codec::kHevc) {
    return pick % 2 ? std::span<const uint8_t>(testdata::kHvcC1920x1080Main)
                    : std::span<const uint8_t>(testdata::kHvcC1280x720Main);
  }
  if (codec == Codec::kAv1) {
    return pick % 2 ? std::span<const uint8_t>(testdata::kAv1C426x240Main10)
                    : std::span<const uint8_t>(testdata::kAv1C640x360);
  }
  return pick % 2 ? std::span<const uint8_t>(testdata::kAvcC1920x1080High)
                  : std::span<const uint8_t>(testdata::kAvcC1280x720High);
}

std::span<const uint8_t> knownAudioConfig(Codec codec, unsigned pick) {
  if (codec == Codec::kOpus) return testutil::kOpusHead;
  switch (pick % 3) {
    case 0:
      return testutil::kAscLc48000Stereo;
    case 1:
      return testdata::kAscLc44100Stereo;
    default:
      return testdata::kAscLc22050FivePointOne;
  }
}

struct Publisher {
  explicit Publisher(testutil::PackagerHarness& h) : harness(h) {}

  testutil::PackagerHarness& harness;
  int64_t videoDts = 0;
  int64_t audioDts = 0;
  Codec videoCodec = Codec::kH264;
  Codec audioCodec = Codec::kAac;
  std::vector<MediaPacketPtr> configs;  // replayed into a new session on request
  std::vector<cmaf::Waiters::Id> waiters;
  uint64_t framesLeft = 50000;  // keeps runs of frames within the fuzzer's time budget

  void push(MediaPacketPtr packet) { harness.stream().push(packet, 0); }

  MediaPacketPtr frame(TrackType track, Codec codec, int64_t dts, bool key, int32_t cts,
                       size_t size) {
    auto p = std::make_shared<MediaPacket>();
    p->track = track;
    p->codec = codec;
    p->dts = dts;
    p->cts = cts;
    p->keyframe = key;
    p->data = Slice::copyOf(std::string(size, static_cast<char>(dts)));
    return p;
  }

  void config(TrackType track, Codec codec, std::span<const uint8_t> bytes) {
    auto packet = testutil::configPacket(track, codec, bytes);
    configs.push_back(packet);
    push(packet);
  }

  void run(Reader& in) {
    unsigned count = in.u8();
    unsigned gop = std::max<unsigned>(in.u8(), 1);
    unsigned videoMs = in.u8();
    unsigned audioMs = in.u8();
    int64_t nextVideo = videoDts + videoMs;
    int64_t nextAudio = audioDts + audioMs;
    unsigned videoFrames = 0;
    for (unsigned i = 0; i < count * 4u && framesLeft > 0; ++i, --framesLeft) {
      bool video = videoMs > 0 && (audioMs == 0 || nextVideo <= nextAudio);
      if (video) {
        videoDts = nextVideo;
        nextVideo += videoMs;
        bool key = videoFrames++ % gop == 0;
        push(frame(TrackType::kVideo, videoCodec, videoDts, key, 0, 100));
      } else if (audioMs > 0) {
        audioDts = nextAudio;
        nextAudio += audioMs;
        push(frame(TrackType::kAudio, audioCodec, audioDts, true, 0, 20));
      }
    }
  }
};

// ---- checks ------------------------------------------------------------------------------

void checkInit(const cmaf::CmafTrack& track, uint32_t version) {
  Slice init = track.init(version);
  check(!init.empty());
  auto walked = testutil::walk(testutil::bytesOf(init));
  check(walked.error.empty());
  check(walked.find("moov/trak/mdia/minf/stbl/stsd") != nullptr);
  check(walked.find("moov/mvex/trex") != nullptr);
}

void checkSegment(const cmaf::CmafTrack& track, const cmaf::Segment& segment) {
  auto bytes = testutil::flatten(track.segmentBytes(segment));
  check(bytes.size() == segment.size);
  std::vector<testutil::Fragment> fragments;
  check(testutil::parseFragments(testutil::walk(std::move(bytes)), fragments).empty());
  check(fragments.size() == segment.parts.size());
  uint32_t samples = 0;
  for (size_t i = 0; i < fragments.size(); ++i) {
    const auto& part = segment.parts[i];
    check(fragments[i].styp == (i == 0));
    check(fragments[i].baseDecodeTime == part->start);
    check(i == 0 || fragments[i].sequenceNumber > fragments[i - 1].sequenceNumber);
    check(part->index == i && part->msn == segment.msn);
    check(tidecast::core::totalSize(part->bytes) == part->size);
    check(track.part(part->id) == part);
    samples += static_cast<uint32_t>(fragments[i].trun.samples.size());
  }
  check(samples == segment.samples);
  check(!segment.complete || !segment.parts.empty());
  if (segment.complete) check(segment.duration <= track.maxSegmentDuration());
}

void checkTrack(cmaf::StreamPackager& packager, const cmaf::CmafTrack& track,
                std::string_view name) {
  const auto& segments = track.segments();
  const cmaf::Segment* previous = nullptr;
  const cmaf::Part* lastPart = nullptr;
  for (const cmaf::Segment& s : segments) {
    if (previous != nullptr) {
      check(s.msn == previous->msn + 1);
      check(previous->complete);
      check(s.initVersion >= previous->initVersion);
      // One more per discontinuity, normally; a track that had no segment at all in a
      // sequence (a session of a few frames, a video segment of a few milliseconds) steps
      // over it.
      check(s.discontinuitySequence >= previous->discontinuitySequence);
      check(s.discontinuity == (s.discontinuitySequence != previous->discontinuitySequence));
    }
    check(track.segment(s.msn) == &s);
    for (const auto& part : s.parts) {
      if (lastPart != nullptr) check(part->id == lastPart->id + 1);
      lastPart = part.get();
    }
    checkInit(track, s.initVersion);
    checkSegment(track, s);
    previous = &s;
  }
  if (lastPart != nullptr) check(track.nextPartId() == lastPart->id + 1);
  if (!packager.live()) check(!track.hasOpenSegment());

  for (bool skip : {false, true}) {
    std::string playlist = hls::renderMediaPlaylist(packager, track, name, skip);
    check(segments.empty() == playlist.empty());
    // Every init a playlist names must be there to fetch.
    for (size_t at = playlist.find("/init"); at != std::string::npos;
         at = playlist.find("/init", at + 1)) {
      check(!track.init(static_cast<uint32_t>(std::stoul(playlist.substr(at + 5)))).empty());
    }
  }
  if (!segments.empty()) {
    for (uint64_t msn : {segments.front().msn, segments.back().msn, segments.back().msn + 1}) {
      for (uint64_t part = 0; part < 3; ++part) {
        hls::PlaylistRequest request;
        request.msn = msn;
        request.part = part;
        if (hls::blockingReloadReady(track, request) && part > 0) {
          request.part = part - 1;
          check(hls::blockingReloadReady(track, request));
        }
      }
    }
  }
}

void checkAll(cmaf::StreamPackager& packager) {
  for (std::string_view name : {"video", "audio"}) {
    if (cmaf::CmafTrack* track = packager.track(name)) checkTrack(packager, *track, name);
  }
  (void)hls::renderMultivariantPlaylist(packager);
  tidecast::delivery::dash::MpdOptions options;
  options.timeUrl = "http://127.0.0.1/time";
  std::string mpd = tidecast::delivery::dash::renderMpd(packager, options);
  check(packager.periods().empty() || packager.leader() == nullptr || !mpd.empty());
  for (const cmaf::Period& period : packager.periods()) {
    if (period.video.present && packager.video()) {
      checkInit(*packager.video(), period.video.initVersion);
    }
    if (period.audio.present && packager.audio()) {
      checkInit(*packager.audio(), period.audio.initVersion);
    }
  }
}

// ---- program -----------------------------------------------------------------------------

void holdRequest(Publisher& publisher, Reader& in) {
  cmaf::StreamPackager& packager = publisher.harness.packager();
  cmaf::Waiters& waiters = packager.waiters();
  uint8_t flags = in.u8();
  std::string name = flags & 1 ? "audio" : "video";
  hls::PlaylistRequest request;
  request.msn = in.u8();
  if (flags & 2) request.part = flags >> 4;
  request.skip = flags & 4;
  if (flags & 8 && !publisher.waiters.empty()) {
    cmaf::Waiters::Id victim = publisher.waiters[in.u8() % publisher.waiters.size()];
    publisher.waiters.push_back(waiters.park(
        ~uint64_t{0},
        [&waiters, victim] {
          waiters.cancel(victim);
          return true;
        },
        nullptr));
    return;
  }
  publisher.waiters.push_back(waiters.park(
      ~uint64_t{0},
      [&packager, name, request] {
        cmaf::CmafTrack* track = packager.track(name);
        if (track == nullptr || !hls::blockingReloadReady(*track, request)) return false;
        (void)hls::renderMediaPlaylist(packager, *track, name, request.skip);
        return true;
      },
      nullptr));
}

void step(Publisher& publisher, Reader& in) {
  testutil::PackagerHarness& harness = publisher.harness;
  switch (in.u8() % 10) {
    case 0: {
      uint8_t flags = in.u8();
      int64_t delta = in.s16();
      int32_t cts = in.s16();
      if (flags & 8) delta *= 1000;
      if (flags & 16) cts *= 256;  // RTMP's 24-bit range
      publisher.videoDts += delta;
      Codec codec = kVideoCodecs[(flags >> 1) & 3];
      publisher.push(publisher.frame(TrackType::kVideo, codec, publisher.videoDts, flags & 1, cts,
                                     size_t{in.u8()} * 8 + 1));
      break;
    }
    case 1: {
      uint8_t flags = in.u8();
      int64_t delta = in.s16();
      if (flags & 8) delta *= 1000;
      publisher.audioDts += delta;
      publisher.push(publisher.frame(TrackType::kAudio, kAudioCodecs[flags & 3], publisher.audioDts,
                                     true, 0, size_t{in.u8()} + 1));
      break;
    }
    case 2: {
      uint8_t flags = in.u8();
      Codec codec = kVideoCodecs[flags & 3];
      if (codec != Codec::kUnknown) publisher.videoCodec = codec;
      publisher.config(TrackType::kVideo, codec,
                       flags & 4 ? in.bytes(in.u8()) : knownVideoConfig(codec, flags >> 3));
      break;
    }
    case 3: {
      uint8_t flags = in.u8();
      Codec codec = kAudioCodecs[flags & 3];
      publisher.audioCodec = codec;
      publisher.config(TrackType::kAudio, codec,
                       flags & 4 ? in.bytes(in.u8()) : knownAudioConfig(codec, flags >> 3));
      break;
    }
    case 4:
      harness.endSession("fuzz");
      break;
    case 5: {
      uint8_t flags = in.u8();
      if (harness.packager().live()) harness.endSession("replaced");
      harness.streams.push_back(std::make_unique<tidecast::core::Stream>(
          "live/k", harness.streams.size() + 1, size_t{1} << 20));
      if (flags & 1) {
        for (const auto& config : publisher.configs) harness.stream().push(config, 0);
      }
      harness.packager().attach(harness.stream());
      if (flags & 2) publisher.videoDts = publisher.audioDts = int64_t{in.s16()} * 10;
      break;
    }
    case 6:
      checkAll(harness.packager());
      break;
    case 7:
      publisher.run(in);
      break;
    case 8: {
      uint8_t kind = in.u8();
      auto p = std::make_shared<MediaPacket>();
      p->track = static_cast<TrackType>(kind % 3);
      p->codec = kind & 4 ? publisher.videoCodec : publisher.audioCodec;
      p->endOfSequence = kind & 8;
      p->keyframe = kind & 16;
      p->dts = publisher.videoDts;
      if (kind & 32) p->data = Slice::copyOf("x");
      publisher.push(p);
      break;
    }
    default:
      holdRequest(publisher, in);
      break;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Reader in(data, size);
  testutil::PackagerHarness harness;
  uint8_t settings = in.u8();
  // Within what the configuration accepts (core/config.cpp, server.cpp): windows of 3+
  // segments of 500+ ms, parts of 50+ ms and at most half a segment.
  harness.settings.windowSegments = 3 + (settings & 3);
  harness.settings.partTargetMs = 50 + ((settings >> 2) & 3) * 100;
  harness.settings.segmentTargetMs = 500 + ((settings >> 4) & 7) * 250;
  harness.settings.sendfileSegments = settings & 0x80 ? 3 : 0;  // parts mirrored in a memfd
  harness.settings.maxWaitersPerStream = 16;
  harness.publish(false, false);
  Publisher publisher(harness);
  for (unsigned steps = 0; !in.empty() && steps < 4096; ++steps) step(publisher, in);
  checkAll(harness.packager());
  if (harness.packager().live()) harness.endSession("done");
  checkAll(harness.packager());
  harness.packager().waiters().expireAll();
  return 0;
}
