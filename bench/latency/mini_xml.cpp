#include "bench/latency/mini_xml.h"

#include <cctype>
#include <stdexcept>

namespace tidecast::bench::latency {
namespace {

constexpr int kMaxDepth = 32;

std::string decodeEntities(std::string_view raw) {
  static const std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    bool replaced = false;
    for (const auto& [entity, c] : kEntities) {
      if (raw.substr(i, entity.size()) == entity) {
        out += c;
        i += entity.size() - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += raw[i];
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  void document(XmlElement& root) {
    skipMisc();
    element(root, 0);
  }

 private:
  [[noreturn]] void error(const std::string& what) const {
    throw std::runtime_error(what + " at offset " + std::to_string(pos_));
  }
  bool at(std::string_view token) const { return s_.substr(pos_, token.size()) == token; }
  void skipSpace() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  void skipPast(std::string_view token) {
    size_t end = s_.find(token, pos_);
    if (end == std::string_view::npos) error("unterminated markup");
    pos_ = end + token.size();
  }
  // Whitespace, <?...?>, <!--...--> and <!DOCTYPE ...> before the root element.
  void skipMisc() {
    while (true) {
      skipSpace();
      if (at("<?")) {
        skipPast("?>");
      } else if (at("<!--")) {
        skipPast("-->");
      } else if (at("<!")) {
        skipPast(">");
      } else {
        return;
      }
    }
  }
  std::string name() {
    size_t start = pos_;
    while (pos_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[pos_])) &&
           s_[pos_] != '/' && s_[pos_] != '>' && s_[pos_] != '=') {
      ++pos_;
    }
    if (pos_ == start) error("expected a name");
    return std::string(s_.substr(start, pos_ - start));
  }
  static std::string localName(const std::string& qualified) {
    size_t colon = qualified.find(':');
    return colon == std::string::npos ? qualified : qualified.substr(colon + 1);
  }
  void attribute(XmlElement& e) {
    std::string key = name();
    skipSpace();
    if (!at("=")) error("expected '=' after attribute " + key);
    ++pos_;
    skipSpace();
    if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\'')) error("expected a quote");
    char quote = s_[pos_++];
    size_t end = s_.find(quote, pos_);
    if (end == std::string_view::npos) error("unterminated attribute value");
    e.attributes[key] = decodeEntities(s_.substr(pos_, end - pos_));
    pos_ = end + 1;
  }
  void element(XmlElement& e, int depth) {
    if (depth > kMaxDepth) error("nesting too deep");
    if (!at("<")) error("expected '<'");
    ++pos_;
    std::string qualified = name();
    e.name = localName(qualified);
    while (true) {
      skipSpace();
      if (at("/>")) {
        pos_ += 2;
        return;
      }
      if (at(">")) break;
      if (pos_ >= s_.size()) error("unterminated tag");
      attribute(e);
    }
    ++pos_;
    content(e, qualified, depth);
  }
  void content(XmlElement& e, const std::string& qualified, int depth) {
    std::string text;
    while (true) {
      size_t lt = s_.find('<', pos_);
      if (lt == std::string_view::npos) error("unterminated element " + qualified);
      text += decodeEntities(s_.substr(pos_, lt - pos_));
      pos_ = lt;
      if (at("</")) {
        pos_ += 2;
        if (name() != qualified) error("mismatched end tag for " + qualified);
        skipPast(">");
        e.text = std::string(trim(text));
        return;
      }
      if (at("<!--")) {
        skipPast("-->");
      } else if (at("<![CDATA[")) {
        size_t start = pos_ + 9;
        skipPast("]]>");
        text += s_.substr(start, pos_ - 3 - start);
      } else if (at("<?")) {
        skipPast("?>");
      } else {
        e.children.emplace_back();
        element(e.children.back(), depth + 1);
      }
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

const XmlElement* XmlElement::child(std::string_view childName) const {
  for (const XmlElement& c : children) {
    if (c.name == childName) return &c;
  }
  return nullptr;
}

std::vector<const XmlElement*> XmlElement::childrenNamed(std::string_view childName) const {
  std::vector<const XmlElement*> out;
  for (const XmlElement& c : children) {
    if (c.name == childName) out.push_back(&c);
  }
  return out;
}

std::string XmlElement::attribute(const std::string& attributeName,
                                  const std::string& fallback) const {
  auto it = attributes.find(attributeName);
  return it == attributes.end() ? fallback : it->second;
}

bool parseXml(std::string_view text, XmlElement& root, std::string& error) {
  try {
    Parser(text).document(root);
    return true;
  } catch (const std::runtime_error& e) {
    error = e.what();
    return false;
  }
}

}  // namespace tidecast::bench::latency
