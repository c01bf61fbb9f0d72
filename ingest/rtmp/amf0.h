// AMF0 (Adobe "Action Message Format 0"), the value encoding of RTMP command and data
// messages: connect/createStream/publish/play and their _result/onStatus replies, and the
// @setDataFrame/onMetaData a publisher sends before its media.
//
// decodeAmf0 reads every value of one message body. The bytes come from the network and are
// hostile: every read is bounds-checked, nesting, value count and string sizes are capped by
// AmfLimits, and every problem comes back as an Error (never a crash, never an exception):
//   amf0.truncated              the buffer ends inside a value
//   amf0.too_deep               objects/arrays nested deeper than AmfLimits::maxDepth
//   amf0.too_many_items         more than AmfLimits::maxItems values in the whole message
//                               (top-level values, object properties and array elements)
//   amf0.string_too_long        a string or key longer than AmfLimits::maxStringBytes
//   amf0.bad_marker             an unknown marker, or one AMF0 reserves and RTMP never sends
//                               (MovieClip 0x04, RecordSet 0x0E), or an object-end marker
//                               (0x09) where a value should be
//   amf0.reference_unsupported  a Reference (0x07): RTMP commands never use them, and
//                               resolving them would let a small message alias large ones
//   amf0.amf3_unsupported       the AVM+ switch (0x11): we negotiate objectEncoding 0 only
//
// Decoding is lenient where real encoders are sloppy and the meaning is clear:
//   - Long String (0x0C) and XML Document (0x0F) decode as String; Typed Object (0x10)
//     decodes as Object (its class name is dropped); Unsupported (0x0D) decodes as Undefined.
//   - The ECMA array count is a hint only: properties are read until the object-end marker
//     (0x00 0x00 0x09). When the buffer ends where the next property would start (or after
//     just its empty key 0x00 0x00), the array is taken as complete: some encoders write
//     onMetaData without its end marker. Plain objects still need their end marker.
//   - Date keeps its milliseconds and drops the time-zone field (the spec says send 0).
//   - Object keys keep their order and duplicates; get() returns the last one, as a
//     decoder filling a map would.
//
// encodeAmf0 writes canonical AMF0: strings longer than 65535 bytes as Long String, ECMA
// arrays with their real count and an end marker, dates with time zone 0.
//
// Plain values, no threads, no I/O.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace tidecast::ingest::rtmp {

// Caps for one decodeAmf0 call. A command message is a few hundred bytes; onMetaData a few
// kilobytes. The defaults leave plenty of room for honest clients and bound what a hostile one
// can make us allocate (about maxItems values).
struct AmfLimits {
  size_t maxDepth = 16;           // nested objects/arrays inside one top-level value
  size_t maxItems = 4096;         // values in the message, counted at every level
  size_t maxStringBytes = 65536;  // bytes in one string or key
  bool operator==(const AmfLimits&) const = default;
};

struct AmfProperty;

class AmfValue {
 public:
  enum class Type : uint8_t {
    kNumber,
    kBoolean,
    kString,
    kObject,
    kNull,
    kUndefined,
    kEcmaArray,
    kStrictArray,
    kDate,
  };

  AmfValue() = default;  // Undefined

  static AmfValue number(double value);
  static AmfValue boolean(bool value);
  static AmfValue string(std::string value);
  static AmfValue object(std::vector<AmfProperty> properties);
  static AmfValue null();
  static AmfValue undefined();
  static AmfValue ecmaArray(std::vector<AmfProperty> properties);
  static AmfValue strictArray(std::vector<AmfValue> items);
  static AmfValue date(double millisSinceEpoch);

  Type type() const { return type_; }
  bool isNumber() const { return type_ == Type::kNumber; }
  bool isBoolean() const { return type_ == Type::kBoolean; }
  bool isString() const { return type_ == Type::kString; }
  bool isObject() const { return type_ == Type::kObject; }
  bool isNull() const { return type_ == Type::kNull; }
  bool isUndefined() const { return type_ == Type::kUndefined; }
  bool isEcmaArray() const { return type_ == Type::kEcmaArray; }
  bool isStrictArray() const { return type_ == Type::kStrictArray; }
  bool isDate() const { return type_ == Type::kDate; }
  // Object or ECMA array: something get() and properties() work on.
  bool hasProperties() const { return isObject() || isEcmaArray(); }

  // The value when the type matches, nullopt otherwise. asString's view lives as long as
  // this value is neither changed nor destroyed.
  std::optional<double> asNumber() const;
  std::optional<bool> asBool() const;
  std::optional<std::string_view> asString() const;
  std::optional<double> asDate() const;  // milliseconds since the Unix epoch

  // Objects and ECMA arrays: the value of the last property named `key`, or nullptr (also
  // for every other type).
  const AmfValue* get(std::string_view key) const;
  // Objects and ECMA arrays, in wire order (empty for other types).
  const std::vector<AmfProperty>& properties() const { return properties_; }
  // Strict arrays (empty for other types).
  const std::vector<AmfValue>& items() const { return items_; }

  // One line for logs and test failures, e.g. {"app": "live", "capabilities": 15}. Strings
  // and keys are quoted with control and non-ASCII bytes escaped, so hostile input cannot forge log
  // lines.
  std::string toString() const;

  friend bool operator==(const AmfValue& a, const AmfValue& b);

 private:
  Type type_ = Type::kUndefined;
  bool bool_ = false;
  double number_ = 0;  // Number, Date
  std::string string_;
  std::vector<AmfProperty> properties_;  // Object, ECMA array
  std::vector<AmfValue> items_;          // Strict array
};

struct AmfProperty {
  std::string key;
  AmfValue value;

  friend bool operator==(const AmfProperty& a, const AmfProperty& b) = default;
};

// Every value in `bytes` (one command or data message body), in order. Errors as listed at
// the top of this file; the message names the byte offset.
core::Result<std::vector<AmfValue>> decodeAmf0(std::span<const uint8_t> bytes,
                                               const AmfLimits& limits = {});

// Appends the AMF0 encoding of `value` to `out`. Object keys longer than 65535 bytes (which
// AMF0 cannot carry) are cut to 65535 bytes.
void encodeAmf0(const AmfValue& value, std::string& out);

// The values one after another: a command reply such as
// encodeAmf0({AmfValue::string("_result"), AmfValue::number(1), ...}).
std::string encodeAmf0(std::initializer_list<AmfValue> values);

}  // namespace tidecast::ingest::rtmp
