// The latency stamp the publisher puts into every video access unit: one H.264 SEI NAL unit
// (nal_unit_type 6) holding one user_data_unregistered message (payload type 5) whose 32
// payload bytes are kStampUuid followed by the publisher's wall clock in microseconds as 16
// upper-case hex ASCII digits.
//
// Neither the UUID nor the digits contain a zero byte, so the NAL needs no emulation prevention
// and the 32 bytes appear verbatim in every container the stream passes through (FLV/AVCC,
// MPEG-TS/Annex B, fMP4): a reader may find stamps by searching bytes for the UUID.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace tidecast::bench::latency {

inline constexpr size_t kStampUuidSize = 16;
inline constexpr size_t kStampDigits = 16;
inline constexpr size_t kStampPayloadSize = kStampUuidSize + kStampDigits;

// "tidecast-latency" in ASCII: readable in a hex dump, and not made of hex digits, so it cannot
// occur inside a stamp's digits.
inline constexpr std::array<uint8_t, kStampUuidSize> kStampUuid = {
    't', 'i', 'd', 'e', 'c', 'a', 's', 't', '-', 'l', 'a', 't', 'e', 'n', 'c', 'y'};

// The SEI NAL unit (header byte, message, rbsp trailing bits) without start code or length.
std::vector<uint8_t> makeStampSei(int64_t micros);

// The stamp of a user_data_unregistered payload (UUID then digits), if it is ours.
std::optional<int64_t> parseStampPayload(std::span<const uint8_t> payload);

// The stamp in the 16 digits that follow our UUID, if they are 16 hex digits.
std::optional<int64_t> parseStampDigits(std::span<const uint8_t> digits);

// An access unit with `sei` inserted before its first VCL NAL unit (slice), in the access unit's
// own framing: Annex B (start codes) when it begins with a start code, otherwise AVCC with
// 4-byte lengths. Without a VCL NAL unit the SEI goes first.
std::vector<uint8_t> insertSei(std::span<const uint8_t> accessUnit, std::span<const uint8_t> sei);

}  // namespace tidecast::bench::latency
