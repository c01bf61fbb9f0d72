#include "ingest/rtmp/amf0.h"

#include <bit>
#include <charconv>
#include <cstring>
#include <limits>
#include <utility>

#include "core/utf8.h"

namespace tidecast::ingest::rtmp {

namespace {

// Type markers, AMF0 specification section 2.1.
enum Marker : uint8_t {
  kNumberMarker = 0x00,
  kBooleanMarker = 0x01,
  kStringMarker = 0x02,
  kObjectMarker = 0x03,
  kMovieClipMarker = 0x04,  // reserved, not supported
  kNullMarker = 0x05,
  kUndefinedMarker = 0x06,
  kReferenceMarker = 0x07,
  kEcmaArrayMarker = 0x08,
  kObjectEndMarker = 0x09,
  kStrictArrayMarker = 0x0a,
  kDateMarker = 0x0b,
  kLongStringMarker = 0x0c,
  kUnsupportedMarker = 0x0d,
  kRecordSetMarker = 0x0e,  // reserved, not supported
  kXmlDocumentMarker = 0x0f,
  kTypedObjectMarker = 0x10,
  kAvmPlusMarker = 0x11,  // switch to AMF3
};

constexpr size_t kMaxShortString = 0xffff;
constexpr size_t kMaxLongString = 0xffffffff;
constexpr size_t kToStringMaxStringBytes = 200;  // longer strings are cut in toString()

// ---- decoding ------------------------------------------------------------------------------

// One pass over one message body. Each step returns false after recording the first error;
// nothing is read past bytes_.size().
class Decoder {
 public:
  Decoder(std::span<const uint8_t> bytes, const AmfLimits& limits)
      : bytes_(bytes), limits_(limits) {}

  core::Result<std::vector<AmfValue>> decodeAll() {
    std::vector<AmfValue> values;
    while (remaining() > 0) {
      AmfValue value;
      if (!decodeValue(0, value)) return std::move(error_);
      values.push_back(std::move(value));
    }
    return values;
  }

 private:
  size_t remaining() const { return bytes_.size() - pos_; }

  bool fail(const char* code, const std::string& message, size_t at) {
    error_ = core::makeError(code, message + " at byte " + std::to_string(at));
    return false;
  }
  bool truncated(const char* what) {
    return fail("amf0.truncated", std::string("buffer ends inside ") + what, pos_);
  }

  bool readBytes(void* out, size_t count, const char* what) {
    if (count > remaining()) return truncated(what);
    std::memcpy(out, bytes_.data() + pos_, count);
    pos_ += count;
    return true;
  }
  bool readU8(uint8_t& out, const char* what) { return readBytes(&out, 1, what); }
  bool readU16(uint16_t& out, const char* what) {
    uint8_t b[2];
    if (!readBytes(b, sizeof b, what)) return false;
    out = static_cast<uint16_t>(b[0] << 8 | b[1]);
    return true;
  }
  bool readU32(uint32_t& out, const char* what) {
    uint8_t b[4];
    if (!readBytes(b, sizeof b, what)) return false;
    out = uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3];
    return true;
  }
  bool readDouble(double& out, const char* what) {
    uint8_t b[8];
    if (!readBytes(b, sizeof b, what)) return false;
    uint64_t bits = 0;
    for (uint8_t byte : b) bits = bits << 8 | byte;
    out = std::bit_cast<double>(bits);
    return true;
  }
  // `length` bytes of UTF-8 (not validated: consumers that print them escape them).
  bool readString(size_t length, std::string& out, const char* what) {
    if (length > limits_.maxStringBytes) {
      return fail("amf0.string_too_long",
                  std::string(what) + " of " + std::to_string(length) + " bytes exceeds " +
                      std::to_string(limits_.maxStringBytes),
                  pos_);
    }
    if (length > remaining()) return truncated(what);
    out.assign(reinterpret_cast<const char*>(bytes_.data() + pos_), length);
    pos_ += length;
    return true;
  }
  bool readShortString(std::string& out, const char* what) {
    uint16_t length = 0;
    return readU16(length, what) && readString(length, out, what);
  }
  bool readLongString(std::string& out, const char* what) {
    uint32_t length = 0;
    return readU32(length, what) && readString(length, out, what);
  }

  // Counts one more value against maxItems.
  bool countItem(size_t at) {
    if (items_ >= limits_.maxItems) {
      return fail("amf0.too_many_items",
                  "more than " + std::to_string(limits_.maxItems) + " values in one message", at);
    }
    ++items_;
    return true;
  }

  // `depth` is the number of containers around the value being read.
  bool decodeValue(size_t depth, AmfValue& out) {
    const size_t start = pos_;
    uint8_t marker = 0;
    if (!readU8(marker, "a value marker") || !countItem(start)) return false;
    switch (marker) {
      case kNumberMarker: {
        double number = 0;
        if (!readDouble(number, "a number")) return false;
        out = AmfValue::number(number);
        return true;
      }
      case kBooleanMarker: {
        uint8_t flag = 0;
        if (!readU8(flag, "a boolean")) return false;
        out = AmfValue::boolean(flag != 0);
        return true;
      }
      case kStringMarker:
      case kLongStringMarker:
      case kXmlDocumentMarker: {
        std::string text;
        bool ok = marker == kStringMarker ? readShortString(text, "a string")
                                          : readLongString(text, "a long string");
        if (!ok) return false;
        out = AmfValue::string(std::move(text));
        return true;
      }
      case kNullMarker:
        out = AmfValue::null();
        return true;
      case kUndefinedMarker:
      case kUnsupportedMarker:
        out = AmfValue::undefined();
        return true;
      case kDateMarker: {
        double millis = 0;
        uint16_t timeZone = 0;  // reserved, ignored
        if (!readDouble(millis, "a date") || !readU16(timeZone, "a date")) return false;
        out = AmfValue::date(millis);
        return true;
      }
      case kObjectMarker:
      case kTypedObjectMarker:
      case kEcmaArrayMarker:
      case kStrictArrayMarker:
        return decodeContainer(marker, depth, start, out);
      case kAvmPlusMarker:
        return fail("amf0.amf3_unsupported", "AMF3 value (AVM+ marker 0x11)", start);
      case kReferenceMarker:
        return fail("amf0.reference_unsupported", "AMF0 reference (marker 0x07)", start);
      default:
        return fail("amf0.bad_marker", "unexpected marker " + std::to_string(marker), start);
    }
  }

  bool decodeContainer(uint8_t marker, size_t depth, size_t start, AmfValue& out) {
    if (depth >= limits_.maxDepth) {
      return fail("amf0.too_deep", "objects nested deeper than " + std::to_string(limits_.maxDepth),
                  start);
    }
    if (marker == kStrictArrayMarker) {
      std::vector<AmfValue> items;
      if (!decodeStrictArray(depth + 1, items)) return false;
      out = AmfValue::strictArray(std::move(items));
      return true;
    }
    if (marker == kTypedObjectMarker) {
      std::string className;  // dropped: the value decodes as a plain object
      if (!readShortString(className, "a class name")) return false;
    }
    uint32_t countHint = 0;  // ECMA arrays only; not trusted, not needed
    if (marker == kEcmaArrayMarker && !readU32(countHint, "an ECMA array count")) return false;
    std::vector<AmfProperty> properties;
    if (!decodeProperties(depth + 1, marker == kEcmaArrayMarker, properties)) return false;
    out = marker == kEcmaArrayMarker ? AmfValue::ecmaArray(std::move(properties))
                                     : AmfValue::object(std::move(properties));
    return true;
  }

  bool decodeStrictArray(size_t depth, std::vector<AmfValue>& items) {
    const size_t start = pos_;
    uint32_t count = 0;
    if (!readU32(count, "a strict array count")) return false;
    // Every element takes at least one byte: a count past the bytes left is a lie, and
    // checking it here keeps reserve() bounded by the input size.
    if (count > limits_.maxItems - items_) {
      return fail("amf0.too_many_items",
                  "strict array of " + std::to_string(count) + " values exceeds the limit of " +
                      std::to_string(limits_.maxItems),
                  start);
    }
    if (count > remaining()) return truncated("a strict array");
    items.reserve(count);
    for (uint32_t i = 0; i < count; ++i) {
      AmfValue item;
      if (!decodeValue(depth, item)) return false;
      items.push_back(std::move(item));
    }
    return true;
  }

  // Key/value pairs up to the object-end marker (an empty key, then 0x09). With
  // `endMayBeMissing` (ECMA arrays), the end of the buffer also ends the list when it comes
  // where the next key, or the marker after an empty key, would be.
  bool decodeProperties(size_t depth, bool endMayBeMissing, std::vector<AmfProperty>& out) {
    for (;;) {
      if (endMayBeMissing && remaining() == 0) return true;
      std::string key;
      if (!readShortString(key, "an object key")) return false;
      if (key.empty()) {
        if (endMayBeMissing && remaining() == 0) return true;
        if (remaining() > 0 && bytes_[pos_] == kObjectEndMarker) {
          ++pos_;
          return true;
        }
      }
      AmfValue value;
      if (!decodeValue(depth, value)) return false;
      out.push_back(AmfProperty{std::move(key), std::move(value)});
    }
  }

  std::span<const uint8_t> bytes_;
  AmfLimits limits_;
  size_t pos_ = 0;
  size_t items_ = 0;
  core::Error error_;
};

// ---- encoding ------------------------------------------------------------------------------

void appendU8(std::string& out, uint8_t value) { out.push_back(static_cast<char>(value)); }

void appendU16(std::string& out, uint16_t value) {
  appendU8(out, static_cast<uint8_t>(value >> 8));
  appendU8(out, static_cast<uint8_t>(value));
}

void appendU32(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) appendU8(out, static_cast<uint8_t>(value >> shift));
}

void appendDouble(std::string& out, double value) {
  const auto bits = std::bit_cast<uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) appendU8(out, static_cast<uint8_t>(bits >> shift));
}

void appendProperties(std::string& out, const std::vector<AmfProperty>& properties) {
  for (const AmfProperty& property : properties) {
    const std::string_view key = std::string_view(property.key).substr(0, kMaxShortString);
    appendU16(out, static_cast<uint16_t>(key.size()));
    out.append(key);
    encodeAmf0(property.value, out);
  }
  appendU16(out, 0);
  appendU8(out, kObjectEndMarker);
}

// ---- debug text ----------------------------------------------------------------------------

void appendQuoted(std::string& out, std::string_view text) {
  const bool cut = text.size() > kToStringMaxStringBytes;
  if (cut) text = text.substr(0, kToStringMaxStringBytes);
  out.push_back('"');
  for (size_t i = 0; i < text.size();) {
    const auto byte = static_cast<unsigned char>(text[i]);
    const size_t length = core::utf8SequenceLength(text, i);
    if (byte >= 0x20 && byte < 0x7f && byte != '"' && byte != '\\') {
      out.push_back(static_cast<char>(byte));
      ++i;
    } else if (byte >= 0x80 && length > 0) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
      ++i;
    }
  }
  out.push_back('"');
  if (cut) out += "...";
}

void appendNumber(std::string& out, double value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, ec == std::errc() ? end : buffer);
}

void appendText(std::string& out, const AmfValue& value);

void appendPropertiesText(std::string& out, const std::vector<AmfProperty>& properties) {
  out.push_back('{');
  for (size_t i = 0; i < properties.size(); ++i) {
    if (i > 0) out += ", ";
    appendQuoted(out, properties[i].key);
    out += ": ";
    appendText(out, properties[i].value);
  }
  out.push_back('}');
}

void appendText(std::string& out, const AmfValue& value) {
  switch (value.type()) {
    case AmfValue::Type::kNumber:
      appendNumber(out, *value.asNumber());
      break;
    case AmfValue::Type::kBoolean:
      out += *value.asBool() ? "true" : "false";
      break;
    case AmfValue::Type::kString:
      appendQuoted(out, *value.asString());
      break;
    case AmfValue::Type::kObject:
      appendPropertiesText(out, value.properties());
      break;
    case AmfValue::Type::kNull:
      out += "null";
      break;
    case AmfValue::Type::kUndefined:
      out += "undefined";
      break;
    case AmfValue::Type::kEcmaArray:
      out += "ecma";
      appendPropertiesText(out, value.properties());
      break;
    case AmfValue::Type::kStrictArray:
      out.push_back('[');
      for (size_t i = 0; i < value.items().size(); ++i) {
        if (i > 0) out += ", ";
        appendText(out, value.items()[i]);
      }
      out.push_back(']');
      break;
    case AmfValue::Type::kDate:
      out += "date(";
      appendNumber(out, *value.asDate());
      out.push_back(')');
      break;
  }
}

}  // namespace

// ---- AmfValue ------------------------------------------------------------------------------

AmfValue AmfValue::number(double value) {
  AmfValue v;
  v.type_ = Type::kNumber;
  v.number_ = value;
  return v;
}

AmfValue AmfValue::boolean(bool value) {
  AmfValue v;
  v.type_ = Type::kBoolean;
  v.bool_ = value;
  return v;
}

AmfValue AmfValue::string(std::string value) {
  AmfValue v;
  v.type_ = Type::kString;
  v.string_ = std::move(value);
  return v;
}

AmfValue AmfValue::object(std::vector<AmfProperty> properties) {
  AmfValue v;
  v.type_ = Type::kObject;
  v.properties_ = std::move(properties);
  return v;
}

AmfValue AmfValue::null() {
  AmfValue v;
  v.type_ = Type::kNull;
  return v;
}

AmfValue AmfValue::undefined() { return AmfValue(); }

AmfValue AmfValue::ecmaArray(std::vector<AmfProperty> properties) {
  AmfValue v;
  v.type_ = Type::kEcmaArray;
  v.properties_ = std::move(properties);
  return v;
}

AmfValue AmfValue::strictArray(std::vector<AmfValue> items) {
  AmfValue v;
  v.type_ = Type::kStrictArray;
  v.items_ = std::move(items);
  return v;
}

AmfValue AmfValue::date(double millisSinceEpoch) {
  AmfValue v;
  v.type_ = Type::kDate;
  v.number_ = millisSinceEpoch;
  return v;
}

std::optional<double> AmfValue::asNumber() const {
  if (!isNumber()) return std::nullopt;
  return number_;
}

std::optional<bool> AmfValue::asBool() const {
  if (!isBoolean()) return std::nullopt;
  return bool_;
}

std::optional<std::string_view> AmfValue::asString() const {
  if (!isString()) return std::nullopt;
  return std::string_view(string_);
}

std::optional<double> AmfValue::asDate() const {
  if (!isDate()) return std::nullopt;
  return number_;
}

const AmfValue* AmfValue::get(std::string_view key) const {
  for (auto it = properties_.rbegin(); it != properties_.rend(); ++it) {
    if (it->key == key) return &it->value;
  }
  return nullptr;
}

std::string AmfValue::toString() const {
  std::string out;
  appendText(out, *this);
  return out;
}

bool operator==(const AmfValue& a, const AmfValue& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case AmfValue::Type::kNumber:
    case AmfValue::Type::kDate:
      return a.number_ == b.number_;
    case AmfValue::Type::kBoolean:
      return a.bool_ == b.bool_;
    case AmfValue::Type::kString:
      return a.string_ == b.string_;
    case AmfValue::Type::kObject:
    case AmfValue::Type::kEcmaArray:
      return a.properties_ == b.properties_;
    case AmfValue::Type::kStrictArray:
      return a.items_ == b.items_;
    case AmfValue::Type::kNull:
    case AmfValue::Type::kUndefined:
      return true;
  }
  return false;
}

// ---- codec ---------------------------------------------------------------------------------

core::Result<std::vector<AmfValue>> decodeAmf0(std::span<const uint8_t> bytes,
                                               const AmfLimits& limits) {
  return Decoder(bytes, limits).decodeAll();
}

void encodeAmf0(const AmfValue& value, std::string& out) {
  switch (value.type()) {
    case AmfValue::Type::kNumber:
      appendU8(out, kNumberMarker);
      appendDouble(out, *value.asNumber());
      break;
    case AmfValue::Type::kBoolean:
      appendU8(out, kBooleanMarker);
      appendU8(out, *value.asBool() ? 1 : 0);
      break;
    case AmfValue::Type::kString: {
      std::string_view text = *value.asString();
      if (text.size() <= kMaxShortString) {
        appendU8(out, kStringMarker);
        appendU16(out, static_cast<uint16_t>(text.size()));
      } else {
        text = text.substr(0, kMaxLongString);
        appendU8(out, kLongStringMarker);
        appendU32(out, static_cast<uint32_t>(text.size()));
      }
      out.append(text);
      break;
    }
    case AmfValue::Type::kObject:
      appendU8(out, kObjectMarker);
      appendProperties(out, value.properties());
      break;
    case AmfValue::Type::kNull:
      appendU8(out, kNullMarker);
      break;
    case AmfValue::Type::kUndefined:
      appendU8(out, kUndefinedMarker);
      break;
    case AmfValue::Type::kEcmaArray:
      appendU8(out, kEcmaArrayMarker);
      appendU32(out, static_cast<uint32_t>(value.properties().size()));
      appendProperties(out, value.properties());
      break;
    case AmfValue::Type::kStrictArray:
      appendU8(out, kStrictArrayMarker);
      appendU32(out, static_cast<uint32_t>(value.items().size()));
      for (const AmfValue& item : value.items()) encodeAmf0(item, out);
      break;
    case AmfValue::Type::kDate:
      appendU8(out, kDateMarker);
      appendDouble(out, *value.asDate());
      appendU16(out, 0);  // time zone: reserved, 0
      break;
  }
}

std::string encodeAmf0(std::initializer_list<AmfValue> values) {
  std::string out;
  for (const AmfValue& value : values) encodeAmf0(value, out);
  return out;
}

}  // namespace tidecast::ingest::rtmp
