#include "ingest/rtmp/amf0.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>

namespace tidecast::ingest::rtmp {

// GoogleTest prints values in failure messages through this (found by argument lookup).
[[maybe_unused]] static void PrintTo(const AmfValue& value, std::ostream* os) {
  *os << value.toString();
}

namespace {

using namespace std::string_literals;

// Builds wire bytes by hand, independently of the encoder under test.
class Bytes {
 public:
  Bytes& u8(uint8_t v) {
    bytes_.push_back(static_cast<char>(v));
    return *this;
  }
  Bytes& u16(uint16_t v) { return u8(static_cast<uint8_t>(v >> 8)).u8(static_cast<uint8_t>(v)); }
  Bytes& u32(uint32_t v) {
    return u16(static_cast<uint16_t>(v >> 16)).u16(static_cast<uint16_t>(v));
  }
  Bytes& f64(double v) {
    const auto bits = std::bit_cast<uint64_t>(v);
    return u32(static_cast<uint32_t>(bits >> 32)).u32(static_cast<uint32_t>(bits));
  }
  Bytes& raw(std::string_view text) {
    bytes_.append(text);
    return *this;
  }
  Bytes& key(std::string_view name) { return u16(static_cast<uint16_t>(name.size())).raw(name); }
  Bytes& number(double v) { return u8(0x00).f64(v); }
  Bytes& boolean(bool v) { return u8(0x01).u8(v ? 1 : 0); }
  Bytes& string(std::string_view text) { return u8(0x02).key(text); }
  Bytes& objectEnd() { return u16(0).u8(0x09); }
  const std::string& str() const { return bytes_; }

 private:
  std::string bytes_;
};

core::Result<std::vector<AmfValue>> decode(std::string_view bytes, const AmfLimits& limits = {}) {
  return decodeAmf0({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, limits);
}

std::string errorCode(const core::Result<std::vector<AmfValue>>& result) {
  return result.ok() ? "ok" : result.error().code;
}

std::string encode(const AmfValue& value) {
  std::string out;
  encodeAmf0(value, out);
  return out;
}

AmfValue str(std::string text) { return AmfValue::string(std::move(text)); }
AmfValue num(double v) { return AmfValue::number(v); }

// connect as ffmpeg 5.1 sends it when publishing to rtmp://127.0.0.1:1935/live/…
// (libavformat/rtmpproto.c gen_connect: app, type, flashVer, tcUrl), written out from the
// AMF0 specification: string marker 0x02 + u16 length, number marker 0x00 + big-endian
// double, object marker 0x03 + (u16 key length, key, value)* + 0x00 0x00 0x09.
const std::string kFfmpegConnect =
    "\x02\x00\x07"
    "connect"
    "\x00\x3f\xf0\x00\x00\x00\x00\x00\x00"  // 1.0
    "\x03"
    "\x00\x03"
    "app"
    "\x02\x00\x04"
    "live"
    "\x00\x04"
    "type"
    "\x02\x00\x0a"
    "nonprivate"
    "\x00\x08"
    "flashVer"
    "\x02\x00\x24"
    "FMLE/3.0 (compatible; Lavf59.27.100)"
    "\x00\x05"
    "tcUrl"
    "\x02\x00\x1a"
    "rtmp://127.0.0.1:1935/live"
    "\x00\x00\x09"s;
constexpr size_t kConnectNameEnd = 10;    // after "connect"
constexpr size_t kConnectNumberEnd = 19;  // after the transaction id

// The _result a server answers connect with (the fields nginx-rtmp and SRS send).
const std::string kConnectResult =
    "\x02\x00\x07"
    "_result"
    "\x00\x3f\xf0\x00\x00\x00\x00\x00\x00"  // 1.0
    "\x03"
    "\x00\x06"
    "fmsVer"
    "\x02\x00\x0d"
    "FMS/3,0,1,123"
    "\x00\x0c"
    "capabilities"
    "\x00\x40\x3f\x00\x00\x00\x00\x00\x00"  // 31.0
    "\x00\x00\x09"
    "\x03"
    "\x00\x05"
    "level"
    "\x02\x00\x06"
    "status"
    "\x00\x04"
    "code"
    "\x02\x00\x1d"
    "NetConnection.Connect.Success"
    "\x00\x0b"
    "description"
    "\x02\x00\x15"
    "Connection succeeded."
    "\x00\x0e"
    "objectEncoding"
    "\x00\x00\x00\x00\x00\x00\x00\x00\x00"  // 0.0
    "\x00\x00\x09"s;

// "@setDataFrame", "onMetaData", ECMA array: what ffmpeg's FLV muxer sends before media.
std::string onMetaData(uint32_t countHint, bool withEnd) {
  Bytes b;
  b.string("@setDataFrame").string("onMetaData").u8(0x08).u32(countHint);
  b.key("duration").number(0);
  b.key("width").number(1280);
  b.key("height").number(720);
  b.key("videodatarate").number(2500);
  b.key("framerate").number(29.97);
  b.key("videocodecid").number(7);
  b.key("audiodatarate").number(128);
  b.key("audiosamplerate").number(48000);
  b.key("audiosamplesize").number(16);
  b.key("stereo").boolean(true);
  b.key("audiocodecid").number(10);
  b.key("encoder").string("Lavf59.27.100");
  b.key("filesize").number(0);
  if (withEnd) b.objectEnd();
  return b.str();
}

// n objects, each the only property ("a") of the one around it.
std::string nestedObjects(size_t n) {
  std::string bytes = "\x03";
  for (size_t i = 1; i < n; ++i)
    bytes +=
        "\x00\x01"
        "a\x03"s;
  for (size_t i = 0; i < n; ++i) bytes += "\x00\x00\x09"s;
  return bytes;
}

// n strict arrays of one element each, innermost holding a null.
std::string nestedArrays(size_t n) {
  std::string bytes;
  for (size_t i = 0; i < n; ++i) bytes += "\x0a\x00\x00\x00\x01"s;
  return bytes + "\x05";
}

// ---- round trips -------------------------------------------------------------------------

TEST(Amf0RoundTrip, EveryTypeDecodesToWhatWasEncoded) {
  const std::vector<AmfValue> values = {
      num(0),
      num(-1.5),
      num(std::numeric_limits<double>::infinity()),
      num(1e300),
      AmfValue::boolean(true),
      AmfValue::boolean(false),
      str(""),
      str("h\xc3\xa9llo \x00 world"s),
      AmfValue::object({}),
      AmfValue::object({{"a", num(1)}, {"b", AmfValue::object({{"c", str("d")}})}}),
      AmfValue::null(),
      AmfValue::undefined(),
      AmfValue::ecmaArray({}),
      AmfValue::ecmaArray({{"width", num(1920)}, {"", AmfValue::null()}}),
      AmfValue::strictArray({}),
      AmfValue::strictArray({num(1), str("two"), AmfValue::strictArray({AmfValue::boolean(true)})}),
      AmfValue::date(1700000000123.0),
  };
  for (const AmfValue& value : values) {
    auto decoded = decode(encode(value));
    ASSERT_TRUE(decoded.ok()) << value.toString() << ": " << decoded.error().message;
    ASSERT_EQ(decoded->size(), 1u) << value.toString();
    EXPECT_EQ((*decoded)[0], value) << value.toString() << " vs " << (*decoded)[0].toString();
    EXPECT_EQ((*decoded)[0].type(), value.type());
  }
}

TEST(Amf0RoundTrip, ManyValuesInOneMessageKeepTheirOrder) {
  const std::string bytes =
      encodeAmf0({str("publish"), num(5), AmfValue::null(), str("key"), str("live")});
  auto decoded = decode(bytes);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 5u);
  EXPECT_EQ((*decoded)[0].asString(), "publish");
  EXPECT_EQ((*decoded)[1].asNumber(), 5.0);
  EXPECT_TRUE((*decoded)[2].isNull());
  EXPECT_EQ((*decoded)[3].asString(), "key");
  EXPECT_EQ((*decoded)[4].asString(), "live");
}

TEST(Amf0RoundTrip, StringsPast65535BytesUseTheLongStringMarker) {
  const std::string text(70000, 'x');
  const std::string bytes = encode(str(text));
  ASSERT_EQ(bytes.size(), 1u + 4u + text.size());
  EXPECT_EQ(bytes.substr(0, 5), "\x0c\x00\x01\x11\x70"s);
  auto decoded = decode(bytes, {.maxStringBytes = 100000});
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ((*decoded)[0].asString(), text);
}

TEST(Amf0RoundTrip, A65535ByteStringStillUsesTheShortMarker) {
  const std::string text(65535, 'y');
  const std::string bytes = encode(str(text));
  EXPECT_EQ(bytes.substr(0, 3), "\x02\xff\xff"s);
  auto decoded = decode(bytes);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ((*decoded)[0].asString(), text);
}

TEST(Amf0RoundTrip, NanStaysNan) {
  auto decoded = decode(encode(num(std::nan(""))));
  ASSERT_TRUE(decoded.ok());
  ASSERT_TRUE((*decoded)[0].asNumber().has_value());
  EXPECT_TRUE(std::isnan(*(*decoded)[0].asNumber()));
}

// ---- exact bytes -------------------------------------------------------------------------

TEST(Amf0Encode, NumbersAreBigEndianDoubles) {
  EXPECT_EQ(encode(num(1.0)), "\x00\x3f\xf0\x00\x00\x00\x00\x00\x00"s);
  EXPECT_EQ(encode(num(-2.0)), "\x00\xc0\x00\x00\x00\x00\x00\x00\x00"s);
}

TEST(Amf0Encode, ScalarsUseTheirMarkers) {
  EXPECT_EQ(encode(AmfValue::boolean(true)), "\x01\x01"s);
  EXPECT_EQ(encode(AmfValue::boolean(false)), "\x01\x00"s);
  EXPECT_EQ(encode(AmfValue::null()), "\x05"s);
  EXPECT_EQ(encode(AmfValue::undefined()), "\x06"s);
  EXPECT_EQ(encode(str("ab")),
            "\x02\x00\x02"
            "ab"s);
}

TEST(Amf0Encode, ContainersCarryCountsAndEndMarkers) {
  EXPECT_EQ(encode(AmfValue::object({{"k", AmfValue::null()}})), "\x03\x00\x01k\x05\x00\x00\x09"s);
  EXPECT_EQ(encode(AmfValue::ecmaArray({{"k", AmfValue::null()}})),
            "\x08\x00\x00\x00\x01\x00\x01k\x05\x00\x00\x09"s);
  EXPECT_EQ(encode(AmfValue::strictArray({AmfValue::null(), AmfValue::undefined()})),
            "\x0a\x00\x00\x00\x02\x05\x06"s);
}

TEST(Amf0Encode, DatesWriteMillisecondsAndAZeroTimeZone) {
  EXPECT_EQ(encode(AmfValue::date(1.0)), "\x0b\x3f\xf0\x00\x00\x00\x00\x00\x00\x00\x00"s);
}

TEST(Amf0Encode, ConnectCommandMatchesFfmpegBytes) {
  const std::string bytes =
      encodeAmf0({str("connect"), num(1),
                  AmfValue::object({{"app", str("live")},
                                    {"type", str("nonprivate")},
                                    {"flashVer", str("FMLE/3.0 (compatible; Lavf59.27.100)")},
                                    {"tcUrl", str("rtmp://127.0.0.1:1935/live")}})});
  EXPECT_EQ(bytes, kFfmpegConnect);
}

TEST(Amf0Encode, ConnectResultReplyHasExactBytes) {
  const std::string bytes =
      encodeAmf0({str("_result"), num(1),
                  AmfValue::object({{"fmsVer", str("FMS/3,0,1,123")}, {"capabilities", num(31)}}),
                  AmfValue::object({{"level", str("status")},
                                    {"code", str("NetConnection.Connect.Success")},
                                    {"description", str("Connection succeeded.")},
                                    {"objectEncoding", num(0)}})});
  EXPECT_EQ(bytes, kConnectResult);
}

TEST(Amf0Encode, AppendsToExistingOutput) {
  std::string out = "head";
  encodeAmf0(AmfValue::null(), out);
  EXPECT_EQ(out, "head\x05");
}

TEST(Amf0Encode, KeysLongerThan65535BytesAreCut) {
  const std::string key(70000, 'k');
  const std::string bytes = encode(AmfValue::object({{key, AmfValue::null()}}));
  auto decoded = decode(bytes);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ((*decoded)[0].properties().size(), 1u);
  EXPECT_EQ((*decoded)[0].properties()[0].key, key.substr(0, 65535));
}

// ---- decoding real messages --------------------------------------------------------------

TEST(Amf0Decode, ConnectCommandFromFfmpeg) {
  auto decoded = decode(kFfmpegConnect);
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded->size(), 3u);
  const auto& values = *decoded;
  EXPECT_EQ(values[0].asString(), "connect");
  EXPECT_EQ(values[1].asNumber(), 1.0);
  ASSERT_TRUE(values[2].isObject());
  ASSERT_NE(values[2].get("app"), nullptr);
  EXPECT_EQ(values[2].get("app")->asString(), "live");
  EXPECT_EQ(values[2].get("type")->asString(), "nonprivate");
  EXPECT_EQ(values[2].get("flashVer")->asString(), "FMLE/3.0 (compatible; Lavf59.27.100)");
  EXPECT_EQ(values[2].get("tcUrl")->asString(), "rtmp://127.0.0.1:1935/live");
  EXPECT_EQ(values[2].get("swfUrl"), nullptr);
  ASSERT_EQ(values[2].properties().size(), 4u);
  EXPECT_EQ(values[2].properties()[1].key, "type");
}

TEST(Amf0Decode, OnMetaDataEcmaArray) {
  auto decoded = decode(onMetaData(13, true));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_EQ(decoded->size(), 3u);
  EXPECT_EQ((*decoded)[0].asString(), "@setDataFrame");
  EXPECT_EQ((*decoded)[1].asString(), "onMetaData");
  const AmfValue& meta = (*decoded)[2];
  EXPECT_TRUE(meta.isEcmaArray());
  EXPECT_FALSE(meta.isObject());
  EXPECT_TRUE(meta.hasProperties());
  EXPECT_EQ(meta.properties().size(), 13u);
  EXPECT_EQ(meta.get("width")->asNumber(), 1280.0);
  EXPECT_EQ(meta.get("height")->asNumber(), 720.0);
  EXPECT_EQ(meta.get("framerate")->asNumber(), 29.97);
  EXPECT_EQ(meta.get("videocodecid")->asNumber(), 7.0);
  EXPECT_EQ(meta.get("audiocodecid")->asNumber(), 10.0);
  EXPECT_EQ(meta.get("stereo")->asBool(), true);
  EXPECT_EQ(meta.get("encoder")->asString(), "Lavf59.27.100");
  // Re-encoding keeps it an ECMA array.
  EXPECT_EQ(encode(meta)[0], '\x08');
}

TEST(Amf0Decode, EcmaArrayCountIsOnlyAHint) {
  for (uint32_t hint : {0u, 1u, 13u, 0xffffffffu}) {
    auto decoded = decode(onMetaData(hint, true));
    ASSERT_TRUE(decoded.ok()) << hint;
    EXPECT_EQ((*decoded)[2].properties().size(), 13u) << hint;
  }
}

TEST(Amf0Decode, EcmaArrayWithoutEndMarkerAtBufferEndIsAccepted) {
  auto decoded = decode(onMetaData(13, false));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ((*decoded)[2].properties().size(), 13u);
  EXPECT_EQ((*decoded)[2].get("encoder")->asString(), "Lavf59.27.100");

  auto emptyKeyOnly = decode(onMetaData(13, false) + "\x00\x00"s);  // 0x09 missing
  ASSERT_TRUE(emptyKeyOnly.ok()) << emptyKeyOnly.error().message;
  EXPECT_EQ((*emptyKeyOnly)[2].properties().size(), 13u);
}

TEST(Amf0Decode, EcmaArrayCutInsideAPropertyIsTruncated) {
  const std::string full = onMetaData(13, false);
  EXPECT_EQ(errorCode(decode(full.substr(0, full.size() - 1))), "amf0.truncated");
  EXPECT_EQ(errorCode(decode(full + "\x00"s)), "amf0.truncated");
  EXPECT_EQ(errorCode(decode(full + "\x00\x03wid"s)), "amf0.truncated");
}

TEST(Amf0Decode, ObjectWithoutEndMarkerIsTruncated) {
  EXPECT_EQ(errorCode(decode("\x03\x00\x01k\x05"s)), "amf0.truncated");
  EXPECT_EQ(errorCode(decode("\x03\x00\x01k\x05\x00\x00"s)), "amf0.truncated");
}

TEST(Amf0Decode, DuplicateKeysAreKeptInOrderAndGetReturnsTheLast) {
  Bytes b;
  b.u8(0x03).key("app").string("first").key("x").number(1).key("app").string("second");
  b.objectEnd();
  auto decoded = decode(b.str());
  ASSERT_TRUE(decoded.ok());
  const auto& props = (*decoded)[0].properties();
  ASSERT_EQ(props.size(), 3u);
  EXPECT_EQ(props[0].value.asString(), "first");
  EXPECT_EQ(props[2].value.asString(), "second");
  EXPECT_EQ((*decoded)[0].get("app")->asString(), "second");
}

TEST(Amf0Decode, EmptyKeyFollowedByAValueIsAProperty) {
  auto decoded = decode("\x03\x00\x00\x05\x00\x00\x09"s);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ((*decoded)[0].properties().size(), 1u);
  EXPECT_TRUE((*decoded)[0].get("")->isNull());
}

TEST(Amf0Decode, LongStringAndXmlDocumentDecodeAsStrings) {
  auto decoded = decode("\x0c\x00\x00\x00\x02hi\x0f\x00\x00\x00\x03<a>"s);
  ASSERT_TRUE(decoded.ok());
  ASSERT_EQ(decoded->size(), 2u);
  EXPECT_EQ((*decoded)[0].asString(), "hi");
  EXPECT_EQ((*decoded)[1].asString(), "<a>");
}

TEST(Amf0Decode, TypedObjectDecodesAsObjectWithoutItsClassName) {
  Bytes b;
  b.u8(0x10).key("flash.Thing").key("k").number(2).objectEnd();
  auto decoded = decode(b.str());
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE((*decoded)[0].isObject());
  EXPECT_EQ((*decoded)[0].get("k")->asNumber(), 2.0);
}

TEST(Amf0Decode, UnsupportedMarkerDecodesAsUndefined) {
  auto decoded = decode("\x0d"s);
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE((*decoded)[0].isUndefined());
}

TEST(Amf0Decode, DateIgnoresTheTimeZoneField) {
  Bytes b;
  b.u8(0x0b).f64(86400000.0).u16(0xfe20);
  auto decoded = decode(b.str());
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ((*decoded)[0].asDate(), 86400000.0);
}

TEST(Amf0Decode, NonZeroBooleanIsTrue) {
  auto decoded = decode("\x01\x7f"s);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ((*decoded)[0].asBool(), true);
}

TEST(Amf0Decode, EmptyInputHasNoValues) {
  auto decoded = decode("");
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->empty());
}

// ---- hostile input -----------------------------------------------------------------------

TEST(Amf0Hostile, EveryPrefixOfConnectErrorsUnlessItEndsBetweenValues) {
  for (size_t length = 0; length < kFfmpegConnect.size(); ++length) {
    auto decoded = decode(std::string_view(kFfmpegConnect).substr(0, length));
    if (length == 0 || length == kConnectNameEnd || length == kConnectNumberEnd) {
      ASSERT_TRUE(decoded.ok()) << length;
      EXPECT_LT(decoded->size(), 3u);
    } else {
      ASSERT_FALSE(decoded.ok()) << length;
      EXPECT_EQ(decoded.error().code, "amf0.truncated") << length;
    }
  }
}

TEST(Amf0Hostile, EveryPrefixOfEveryMessageNeverCrashes) {
  for (const std::string& message :
       {kFfmpegConnect, kConnectResult, onMetaData(13, true), nestedObjects(16), nestedArrays(16),
        encode(AmfValue::date(5)), encode(str(std::string(300, 'z')))}) {
    for (size_t length = 0; length < message.size(); ++length) {
      auto decoded = decode(std::string_view(message).substr(0, length));
      if (decoded.ok()) {
        // Only a cut between top-level values or inside the metadata's ECMA array decodes.
        std::string again;
        for (const AmfValue& value : *decoded) encodeAmf0(value, again);
        EXPECT_TRUE(decode(again).ok());
      } else {
        EXPECT_EQ(decoded.error().code, "amf0.truncated") << length;
      }
    }
  }
}

TEST(Amf0Hostile, Amf3MarkerIsRejected) {
  EXPECT_EQ(errorCode(decode("\x11\x06\x03"
                             "abc"s)),
            "amf0.amf3_unsupported");
  // Also inside an object, as an AMF3-speaking client would send it.
  EXPECT_EQ(errorCode(decode("\x03\x00\x01k\x11\x04\x01\x00\x00\x09"s)), "amf0.amf3_unsupported");
}

TEST(Amf0Hostile, ReferencesAreRejected) {
  EXPECT_EQ(errorCode(decode("\x07\x00\x00"s)), "amf0.reference_unsupported");
}

TEST(Amf0Hostile, ReservedAndUnknownMarkersAreBadMarkers) {
  for (uint8_t marker : {0x04, 0x09, 0x0e, 0x12, 0x7f, 0xff}) {
    std::string bytes(1, static_cast<char>(marker));
    bytes += std::string(16, '\0');
    EXPECT_EQ(errorCode(decode(bytes)), "amf0.bad_marker") << int{marker};
  }
  // An object-end marker after a non-empty key.
  EXPECT_EQ(errorCode(decode("\x03\x00\x01k\x09"s)), "amf0.bad_marker");
}

TEST(Amf0Hostile, ErrorMessagesNameTheOffset) {
  auto decoded = decode("\x05\x05\x11"s);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().message.find("at byte 2"), std::string::npos)
      << decoded.error().message;
}

// ---- limits ------------------------------------------------------------------------------

TEST(Amf0Limits, NestingUpToMaxDepthIsAccepted) {
  EXPECT_TRUE(decode(nestedObjects(16)).ok());
  EXPECT_TRUE(decode(nestedArrays(16)).ok());
  EXPECT_TRUE(decode(nestedObjects(4), {.maxDepth = 4}).ok());
}

TEST(Amf0Limits, NestingPastMaxDepthIsTooDeep) {
  EXPECT_EQ(errorCode(decode(nestedObjects(17))), "amf0.too_deep");
  EXPECT_EQ(errorCode(decode(nestedArrays(17))), "amf0.too_deep");
  EXPECT_EQ(errorCode(decode(nestedObjects(5), {.maxDepth = 4})), "amf0.too_deep");
  EXPECT_EQ(errorCode(decode("\x03\x00\x00\x09"s, {.maxDepth = 0})), "amf0.too_deep");
  // Far deeper than any stack could recurse: stopped at the limit, not by a crash.
  EXPECT_EQ(errorCode(decode(nestedObjects(200000))), "amf0.too_deep");
  EXPECT_EQ(errorCode(decode(nestedArrays(200000))), "amf0.too_deep");
}

TEST(Amf0Limits, MixedContainersShareOneDepth) {
  std::string bytes;
  for (int i = 0; i < 9; ++i) bytes += "\x0a\x00\x00\x00\x01\x08\x00\x00\x00\x00\x00\x01k"s;
  EXPECT_EQ(errorCode(decode(bytes + "\x05"s)), "amf0.too_deep");  // 18 containers
}

TEST(Amf0Limits, StringsLongerThanTheLimitAreRejected) {
  const AmfLimits limits{.maxStringBytes = 8};
  EXPECT_TRUE(decode(encode(str("12345678")), limits).ok());
  EXPECT_EQ(errorCode(decode(encode(str("123456789")), limits)), "amf0.string_too_long");
  EXPECT_EQ(errorCode(decode("\x0c\x00\x00\x00\x09"
                             "123456789"s,
                             limits)),
            "amf0.string_too_long");
  EXPECT_EQ(errorCode(decode(encode(AmfValue::object({{"123456789", num(1)}})), limits)),
            "amf0.string_too_long");
}

TEST(Amf0Limits, HugeLongStringLengthIsRejectedBeforeReading) {
  // Claims 4 GiB with 3 bytes present: rejected by the limit, nothing allocated.
  EXPECT_EQ(errorCode(decode("\x0c\xff\xff\xff\xff"
                             "abc"s)),
            "amf0.string_too_long");
  // Within the limit but past the buffer.
  EXPECT_EQ(errorCode(decode("\x0c\x00\x00\x01\x00"
                             "abc"s)),
            "amf0.truncated");
}

TEST(Amf0Limits, TooManyValuesAreRejected) {
  EXPECT_TRUE(decode(std::string(4096, '\x05')).ok());
  EXPECT_EQ(errorCode(decode(std::string(4097, '\x05'))), "amf0.too_many_items");
  // Properties and elements count too (the containers themselves included).
  const AmfLimits limits{.maxItems = 3};
  EXPECT_TRUE(decode(encode(AmfValue::strictArray({num(1), num(2)})), limits).ok());
  EXPECT_EQ(errorCode(decode(encode(AmfValue::strictArray({num(1), num(2), num(3)})), limits)),
            "amf0.too_many_items");
  EXPECT_EQ(errorCode(decode(
                encode(AmfValue::object({{"a", num(1)}, {"b", num(2)}, {"c", num(3)}})), limits)),
            "amf0.too_many_items");
}

TEST(Amf0Limits, StrictArrayCountIsCheckedBeforeAllocating) {
  EXPECT_EQ(errorCode(decode("\x0a\xff\xff\xff\xff\x05"s)), "amf0.too_many_items");
  // Within maxItems but more elements than bytes left.
  EXPECT_EQ(errorCode(decode("\x0a\x00\x00\x00\x10\x05\x05"s)), "amf0.truncated");
}

// ---- AmfValue ----------------------------------------------------------------------------

TEST(Amf0Value, AccessorsAreEmptyForOtherTypes) {
  const AmfValue n = num(3);
  EXPECT_EQ(n.asNumber(), 3.0);
  EXPECT_FALSE(n.asString().has_value());
  EXPECT_FALSE(n.asBool().has_value());
  EXPECT_FALSE(n.asDate().has_value());
  EXPECT_EQ(n.get("x"), nullptr);
  EXPECT_TRUE(n.items().empty());
  EXPECT_TRUE(n.properties().empty());
  EXPECT_FALSE(AmfValue::date(3).asNumber().has_value());
  EXPECT_FALSE(str("1").asNumber().has_value());
  EXPECT_TRUE(AmfValue().isUndefined());
}

TEST(Amf0Value, EqualityComparesTypeAndContent) {
  EXPECT_EQ(num(1), num(1));
  EXPECT_NE(num(1), AmfValue::date(1));
  EXPECT_NE(AmfValue::object({{"a", num(1)}}), AmfValue::ecmaArray({{"a", num(1)}}));
  EXPECT_NE(AmfValue::object({{"a", num(1)}}), AmfValue::object({{"a", num(2)}}));
  EXPECT_EQ(AmfValue::null(), AmfValue::null());
  EXPECT_NE(AmfValue::null(), AmfValue::undefined());
}

TEST(Amf0Value, ToStringIsOneReadableLine) {
  const AmfValue value =
      AmfValue::object({{"app", str("live")},
                        {"n", num(29.97)},
                        {"ok", AmfValue::boolean(true)},
                        {"list", AmfValue::strictArray({AmfValue::null(), AmfValue::undefined()})},
                        {"meta", AmfValue::ecmaArray({{"w", num(1280)}})},
                        {"when", AmfValue::date(5)}});
  EXPECT_EQ(value.toString(),
            R"({"app": "live", "n": 29.97, "ok": true, "list": [null, undefined], )"
            R"("meta": ecma{"w": 1280}, "when": date(5)})");
}

TEST(Amf0Value, ToStringEscapesControlAndInvalidBytes) {
  EXPECT_EQ(str("a\nb\"\\\xff\x00"s).toString(), R"("a\x0ab\x22\x5c\xff\x00")");
  EXPECT_EQ(str("h\xc3\xa9").toString(), "\"h\xc3\xa9\"");  // valid UTF-8 stays
  const std::string shown = str(std::string(1000, 'x')).toString();
  EXPECT_LT(shown.size(), 300u);
  EXPECT_EQ(shown.substr(shown.size() - 3), "...");
}

}  // namespace
}  // namespace tidecast::ingest::rtmp
