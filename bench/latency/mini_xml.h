// Just enough XML for DASH manifests: elements, attributes, character data, comments,
// processing instructions and a DOCTYPE skipped. No DTD entities beyond the five predefined
// ones; namespace prefixes are dropped from element names. Bounded nesting depth.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace tidecast::bench::latency {

struct XmlElement {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::vector<XmlElement> children;
  std::string text;  // character data directly inside, trimmed

  const XmlElement* child(std::string_view childName) const;
  std::vector<const XmlElement*> childrenNamed(std::string_view childName) const;
  // The attribute's value, or `fallback` without it.
  std::string attribute(const std::string& attributeName, const std::string& fallback = "") const;
};

// Parses the document's root element into `root`; false with `error` set on malformed input.
bool parseXml(std::string_view text, XmlElement& root, std::string& error);

}  // namespace tidecast::bench::latency
