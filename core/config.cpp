// Reading, validating, reloading and printing the sections the rooms declare (core/config.h).
#include "core/config.h"

#include "core/utf8_validator.h"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <map>
#include <sstream>

namespace tidecast::core {

// ---- error text ----------------------------------------------------------------------------

namespace config_detail {

constexpr size_t kMaxQuotedChars = 64;  // longer values are cut in messages

// 'text' with quotes, backslashes and non-printable bytes escaped, cut at kMaxQuotedChars, so
// a hostile file cannot put control characters or megabytes into a log line.
std::string quoted(std::string_view text) {
  std::string out = "'";
  for (size_t i = 0; i < text.size() && i < kMaxQuotedChars; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\'' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > kMaxQuotedChars) out += "...";
  return out + "'";
}

// "file:line:col" (1-based); just "file" when there is no position (an override).
std::string position(std::string_view file, const YAML::Mark& mark) {
  std::string out(file);
  if (mark.line >= 0 && mark.column >= 0) {
    out += ':' + std::to_string(mark.line + 1) + ':' + std::to_string(mark.column + 1);
  }
  return out;
}

std::string dotted(std::string_view parent, std::string_view name) {
  if (parent.empty()) return std::string(name);
  if (name.empty()) return std::string(parent);
  return std::string(parent) + "." + std::string(name);
}

Status scalarText(const ConfigValue& v, std::string_view expected, std::string& out) {
  if (v.node.IsMap() || v.node.IsSequence()) return v.invalid("a scalar");
  if (!v.node.IsScalar()) return v.invalid(expected);
  // Text that is not UTF-8 could not be printed back (printConfig) as the same bytes.
  Utf8Validator utf8;
  if (!utf8.feed(v.node.Scalar()) || !utf8.complete()) return v.invalid("UTF-8 text");
  out = v.node.Scalar();
  return {};
}

bool parseDecimal(std::string_view text, uint64_t& out) {
  if (text.empty()) return false;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return ec == std::errc() && ptr == end;  // from_chars takes no sign for unsigned types
}

std::string renderScalar(const std::string& text) {
  YAML::Emitter out;
  out << text;
  std::string yaml = out.c_str();
  return yaml.empty() ? "\"\"" : yaml;
}

}  // namespace config_detail

using config_detail::dotted;
using config_detail::position;
using config_detail::quoted;

namespace {

// What a node is, for "got ..." in messages.
std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a sequence";
    case YAML::NodeType::Scalar:
      return quoted(node.Scalar());
    default:
      return "null";
  }
}

}  // namespace

Error ConfigValue::invalid(std::string_view expected) const {
  const std::string name = key.empty() ? "top level" : key;
  return makeError("config.invalid_value", position(file, mark) + ": " + name + ": expected " +
                                               std::string(expected) + ", got " + describe(node));
}

ConfigValue ConfigValue::at(const YAML::Node& other, const std::string& subkey) const {
  // An override has no position: its items have none either.
  return ConfigValue{other, file, dotted(key, subkey), mark.line < 0 ? mark : other.Mark()};
}

// ---- schema and config ---------------------------------------------------------------------

const ConfigSection* ConfigSchema::find(std::string_view name) const {
  for (const ConfigSection* section : sections_) {
    if (section->name == name) return section;
  }
  return nullptr;
}

Config::Config(const ConfigSchema& schema) : schema_(&schema) {
  for (const ConfigSection* section : schema.sections()) {
    entries_.push_back(Entry{section, section->type, section->make(), section->clone});
  }
}

Config::Config(const Config& other) { *this = other; }

Config& Config::operator=(const Config& other) {
  if (this == &other) return *this;
  schema_ = other.schema_;
  sourcePath_ = other.sourcePath_;
  entries_.clear();
  for (const Entry& e : other.entries_) {
    entries_.push_back(Entry{e.section, e.type, e.clone(e.value.get()), e.clone});
  }
  return *this;
}

const void* Config::find(std::type_index type) const {
  for (const Entry& e : entries_) {
    if (e.type == type) return e.value.get();
  }
  return nullptr;
}

void* Config::find(std::type_index type) {
  for (Entry& e : entries_) {
    if (e.type == type) return e.value.get();
  }
  return nullptr;
}

void* Config::valueOf(const ConfigSection& section) { return find(section.type); }

const void* Config::sectionValue(const ConfigSection& section) const { return find(section.type); }

// ---- reading -------------------------------------------------------------------------------

namespace {

// Records where each document starts; ignores the rest.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> marks;

  void OnDocumentStart(const YAML::Mark& mark) override { marks.push_back(mark); }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}
};

// Checks the text holds at most one document. yaml-cpp 0.7 does not consume a stray flow
// token (",", or "!t," after a tag) and reports an endless run of empty documents starting on
// it (the reason YAML::LoadAll never returns on such input): a document starting where the
// previous one did is that token, reported as a syntax error.
Status checkSingleDocument(const std::string& yaml, std::string_view file) {
  std::istringstream in(yaml);
  YAML::Parser parser(in);
  DocumentStarts starts;
  while (starts.marks.size() < 3 && parser.HandleNextDocument(starts)) {
    const std::vector<YAML::Mark>& m = starts.marks;
    if (m.size() >= 2 && m[m.size() - 1].pos == m[m.size() - 2].pos) {
      const YAML::Mark at = m.back();
      const auto pos = static_cast<size_t>(at.pos);
      return makeError("config.syntax", position(file, at) + ": unexpected " +
                                            quoted(pos < yaml.size() ? yaml.substr(pos, 1) : ""));
    }
  }
  if (starts.marks.size() > 1) {
    return makeError("config.syntax", position(file, starts.marks[1]) +
                                          ": expected one YAML document, found another");
  }
  return {};
}

// The YAML text as a node tree: null for an empty document, an error for bad syntax or for
// more than one document.
Result<YAML::Node> loadDocument(std::string_view yamlText, std::string_view file) {
  const std::string yaml(yamlText);
  try {
    if (Status status = checkSingleDocument(yaml, file); !status) return status.error();
    return YAML::Load(yaml);
  } catch (const YAML::DeepRecursion& e) {  // its own message is just "bad file"
    return makeError("config.syntax", position(file, e.mark) + ": nested too deeply");
  } catch (const YAML::Exception& e) {
    return makeError("config.syntax", position(file, e.mark) + ": " + e.msg);
  }
}

bool hasNested(const ConfigSection& section, std::string_view prefix) {
  for (const ConfigField& f : section.fields) {
    if (f.key.size() > prefix.size() && f.key.compare(0, prefix.size(), prefix) == 0 &&
        f.key[prefix.size()] == '.') {
      return true;
    }
  }
  return false;
}

const ConfigField* findField(const ConfigSection& section, std::string_view key) {
  for (const ConfigField& f : section.fields) {
    if (f.key == key) return &f;
  }
  return nullptr;
}

// Reads one file's mappings into the sections of a Config.
class Reader {
 public:
  explicit Reader(std::function<void*(const ConfigSection&)> valueOf)
      : valueOf_(std::move(valueOf)) {}

  // The top level: a mapping of the names of `schema`'s sections.
  Status readRoot(const ConfigSchema* schema, const YAML::Node& root, std::string_view file) {
    if (root.IsNull()) return {};
    const ConfigValue top{root, file, "", root.Mark()};
    if (!root.IsMap()) return top.invalid("a mapping");
    std::map<std::string, int> seenAt;
    for (auto it = root.begin(); it != root.end(); ++it) {
      const YAML::Node key = it->first;  // iterators yield temporaries: keep Node handles
      const YAML::Node value = it->second;
      if (Status status = checkKey(top, key, seenAt); !status) return status;
      const ConfigSection* section = schema ? schema->find(key.Scalar()) : nullptr;
      if (section == nullptr) {
        return makeError("config.unknown_key",
                         position(file, key.Mark()) + ": unknown key " + quoted(key.Scalar()));
      }
      const ConfigValue v{value, file, key.Scalar(), value.IsNull() ? key.Mark() : value.Mark()};
      if (Status status = readSection(*section, v, ""); !status) return status;
    }
    return {};
  }

  // A section's mapping (or nested mapping `prefix`), or its whole value (key "").
  Status readSection(const ConfigSection& section, const ConfigValue& v,
                     const std::string& prefix) {
    if (prefix.empty()) {
      if (const ConfigField* whole = findField(section, ""); whole != nullptr) {
        return whole->parse(v, valueOf_(section));
      }
    }
    if (v.node.IsNull()) return {};  // every key commented out: the defaults
    if (!v.node.IsMap()) return v.invalid("a mapping");
    std::map<std::string, int> seenAt;
    for (auto it = v.node.begin(); it != v.node.end(); ++it) {
      const YAML::Node key = it->first;
      const YAML::Node value = it->second;
      if (Status status = checkKey(v, key, seenAt); !status) return status;
      const std::string local = dotted(prefix, key.Scalar());
      // An empty value ("port:") has yaml-cpp's mark on the next token: point at the key.
      const ConfigValue entry{value, v.file, dotted(v.key, key.Scalar()),
                              value.IsNull() ? key.Mark() : value.Mark()};
      if (const ConfigField* field = findField(section, local); field != nullptr) {
        if (Status status = field->parse(entry, valueOf_(section)); !status) return status;
      } else if (hasNested(section, local)) {
        if (Status status = readSection(section, entry, local); !status) return status;
      } else {
        return makeError("config.unknown_key", position(v.file, key.Mark()) + ": unknown key " +
                                                   quoted(dotted(v.key, key.Scalar())));
      }
    }
    return {};
  }

 private:
  // A scalar key, not seen before in this mapping.
  static Status checkKey(const ConfigValue& map, const YAML::Node& key,
                         std::map<std::string, int>& seenAt) {
    if (!key.IsScalar()) return map.at(key).invalid("a scalar key");
    const auto [previous, inserted] = seenAt.emplace(key.Scalar(), key.Mark().line + 1);
    if (!inserted) {
      return makeError("config.duplicate_key", position(map.file, key.Mark()) + ": duplicate key " +
                                                   quoted(dotted(map.key, key.Scalar())) +
                                                   " (first at line " +
                                                   std::to_string(previous->second) + ")");
    }
    return {};
  }

  std::function<void*(const ConfigSection&)> valueOf_;
};

// TIDECAST_<SECTION>_<KEY> overrides, each read as a YAML value (lists and maps inline).
Status readEnvironment(const ConfigSchema& schema, const Environment& env,
                       const std::function<void*(const ConfigSection&)>& valueOf) {
  for (const ConfigSection* section : schema.sections()) {
    for (const ConfigField& field : section->fields) {
      const std::string name = environmentName(*section, field);
      const char* text = env(name.c_str());
      if (text == nullptr) continue;
      YAML::Node node;
      try {
        node = YAML::Load(text);
      } catch (const YAML::Exception& e) {
        return makeError("config.syntax", name + ": " + e.msg);
      }
      const ConfigValue v{node, name, dotted(section->name, field.key), YAML::Mark::null_mark()};
      if (Status status = field.parse(v, valueOf(*section)); !status) return status;
    }
  }
  return {};
}

}  // namespace

// The one door to a Config's section structs by descriptor (Config::valueOf is private).
class ConfigLoader {
 public:
  static std::function<void*(const ConfigSection&)> valueOf(Config& config) {
    return [&config](const ConfigSection& section) { return config.valueOf(section); };
  }
};

namespace {

// Each section's checks against the others, once every value is read.
Status checkSections(const ConfigSchema& schema, const Config& config, std::string_view where) {
  for (const ConfigSection* section : schema.sections()) {
    if (!section->check) continue;
    if (Status status = section->check(config, where); !status) return status;
  }
  return {};
}

Result<Config> parseDocument(const ConfigSchema& schema, std::string_view yamlText,
                             std::string_view file, const Environment& env) {
  Result<YAML::Node> root = loadDocument(yamlText, file);
  if (!root) return root.error();
  Config config(schema);
  config.setSourcePath(std::string(file));
  const auto valueOf = ConfigLoader::valueOf(config);
  Reader reader(valueOf);
  if (Status status = reader.readRoot(&schema, *root, file); !status) return status.error();
  if (Status status = readEnvironment(schema, env, valueOf); !status) return status.error();
  if (Status status = checkSections(schema, config, file); !status) return status.error();
  return config;
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

Status readRecord(const ConfigValue& v, const ConfigSection& fields, void* record) {
  Reader reader([record](const ConfigSection&) { return record; });
  return reader.readSection(fields, v, "");
}

Status readNamedRecords(const ConfigValue& v, std::string_view expectedName,
                        const std::function<bool(std::string_view)>& valid,
                        const std::function<Status(const std::string&, const ConfigValue&)>& each) {
  if (v.node.IsNull()) return {};
  if (!v.node.IsMap()) return v.invalid("a mapping of names");
  std::map<std::string, int> seenAt;
  for (auto it = v.node.begin(); it != v.node.end(); ++it) {
    const YAML::Node key = it->first;  // iterators yield temporaries: keep Node handles
    const YAML::Node value = it->second;
    Utf8Validator utf8;
    if (!key.IsScalar() || !utf8.feed(key.Scalar()) || !utf8.complete() || !valid(key.Scalar())) {
      return v.at(key).invalid(expectedName);
    }
    const auto [previous, inserted] = seenAt.emplace(key.Scalar(), key.Mark().line + 1);
    if (!inserted) {
      return makeError("config.duplicate_key", position(v.file, key.Mark()) + ": duplicate key " +
                                                   quoted(dotted(v.key, key.Scalar())));
    }
    const ConfigValue body{value, v.file, dotted(v.key, key.Scalar()),
                           value.IsNull() || v.mark.line < 0 ? v.mark : value.Mark()};
    if (Status status = each(key.Scalar(), body); !status) return status;
  }
  return {};
}

Environment processEnvironment() {
  return [](const char* name) { return std::getenv(name); };
}

Environment noEnvironment() {
  return [](const char*) -> const char* { return nullptr; };
}

std::string environmentName(const ConfigSection& section, const ConfigField& field) {
  std::string name = "TIDECAST_" + dotted(section.name, field.key);
  for (char& c : name) {
    c = (c == '.' || c == '-') ? '_'
                               : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

Result<Config> parseConfig(const ConfigSchema& schema, std::string_view yamlText,
                           std::string_view sourceName, const Environment& env) {
  const std::string_view file = sourceName.empty() ? "<config>" : sourceName;
  try {
    return parseDocument(schema, yamlText, file, env);
  } catch (const YAML::Exception& e) {
    return makeError("config.syntax", position(file, e.mark) + ": " + e.msg);
  } catch (const std::exception& e) {
    return makeError("config.syntax", std::string(file) + ": " + e.what());
  }
}

Result<Config> loadConfigFile(const ConfigSchema& schema, const std::string& path,
                              const Environment& env) {
  if (path.empty()) {
    Result<Config> config = parseConfig(schema, "", "<built-in defaults>", env);
    if (config) config->setSourcePath("");
    return config;
  }
  errno = 0;
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) return makeError("config.io", path + ": cannot read: " + std::strerror(errno));
  std::string yaml;
  char buffer[8192];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file.get())) > 0) yaml.append(buffer, n);
  if (std::ferror(file.get())) {
    return makeError("config.io", path + ": cannot read: " + std::strerror(errno));
  }
  return parseConfig(schema, yaml, path, env);
}

// ---- reload --------------------------------------------------------------------------------

std::vector<std::string> applyReload(Config& live, const Config& fresh) {
  std::vector<std::string> needRestart;
  for (Config::Entry& entry : live.entries_) {
    if (entry.section == nullptr) continue;
    const void* next = fresh.find(entry.type);
    if (next == nullptr) continue;
    for (const ConfigField& field : entry.section->fields) {
      if (field.equal(entry.value.get(), next)) continue;
      if (field.reload == Reload::kLive) {
        field.assign(entry.value.get(), next);
      } else {
        needRestart.push_back(dotted(entry.section->name, field.key));
      }
    }
  }
  return needRestart;
}

// ---- printing ------------------------------------------------------------------------------

namespace {

constexpr size_t kPrintWidth = 96;

// `text` as comment lines at `indent`, wrapped at kPrintWidth. A line of the text that starts
// with a space is an example, kept as it is.
void comment(std::string& out, std::string_view text, size_t indent) {
  const std::string lead = std::string(indent, ' ') + "#";
  std::istringstream lines{std::string(text)};
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == ' ') {
      out += lead;
      if (!line.empty()) out.append(" ").append(line);
      out += '\n';
      continue;
    }
    std::istringstream words(line);
    std::string word;
    std::string current = lead;
    while (words >> word) {
      if (current.size() > lead.size() && current.size() + 1 + word.size() > kPrintWidth) {
        out += current + "\n";
        current = lead;
      }
      current += " " + word;
    }
    out += current + "\n";
  }
}

std::string reloadText(Reload reload) { return reload == Reload::kLive ? "yes" : "restart"; }

// "Default: 8080 (ms). 1..65535. Reload: yes." for a field whose default fits on a line.
std::string fieldFacts(const ConfigField& field, const std::string& defaults) {
  std::string facts = field.type;
  facts[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(facts[0])));
  if (!field.unit.empty()) facts += " (" + field.unit + ")";
  facts += ". ";
  if (defaults.find('\n') == std::string::npos) facts += "Default: " + defaults + ". ";
  return facts + "Reload: " + reloadText(field.reload) + ".";
}

// A value after "key:" (one line) or under it (block YAML, indented).
void value(std::string& out, const std::string& yaml, size_t indent) {
  if (yaml.find('\n') == std::string::npos) {
    out += " " + yaml + "\n";
    return;
  }
  out += "\n";
  std::istringstream lines(yaml);
  std::string line;
  while (std::getline(lines, line)) out += std::string(indent + 2, ' ') + line + "\n";
}

std::vector<std::string> split(const std::string& key) {
  std::vector<std::string> parts;
  std::istringstream in(key);
  std::string part;
  while (std::getline(in, part, '.')) parts.push_back(part);
  return parts;
}

// One key: its doc, its facts, a NOTE when it differs from the built-in default, its value.
// `label` names a section's whole value (field.key "").
void printField(std::string& out, const ConfigField& field, std::string_view label,
                const void* current, const void* defaults, std::vector<std::string>& open,
                size_t base) {
  std::vector<std::string> path = field.key.empty() ? std::vector<std::string>{} : split(field.key);
  const std::vector<std::string> parents(path.begin(), path.end() - (path.empty() ? 0 : 1));
  size_t common = 0;
  while (common < open.size() && common < parents.size() && open[common] == parents[common]) {
    ++common;
  }
  open.resize(common);
  for (size_t i = common; i < parents.size(); ++i) {
    out += "\n" + std::string(base + 2 * i, ' ') + parents[i] + ":\n";
    open.push_back(parents[i]);
  }
  const size_t indent = base + 2 * parents.size();
  const std::string defaultYaml = field.render(defaults);
  const std::string currentYaml = field.render(current);
  comment(out, field.doc, indent);
  comment(out, fieldFacts(field, defaultYaml), indent);
  if (!field.equal(current, defaults)) {
    const bool block = defaultYaml.find('\n') != std::string::npos;
    comment(out,
            std::string("NOTE: differs from the built-in default") + (block ? ", which is:" : "."),
            indent);
    std::istringstream lines(block ? defaultYaml : "");
    std::string line;
    while (std::getline(lines, line)) out += std::string(indent, ' ') + "#   " + line + "\n";
  }
  out += std::string(indent, ' ') + (path.empty() ? std::string(label) : path.back()) + ":";
  value(out, currentYaml, indent);
}

constexpr std::string_view kFileHeader =
    "# tidecast configuration.\n"
    "#\n"
    "# Generated from the sections the code declares (`tidecast --print-config --config FILE`\n"
    "# prints a file like this one for FILE's values). Every key is listed with what it does,\n"
    "# what it takes, its built-in default and whether SIGHUP reloads it; a value that differs\n"
    "# from the built-in default says so in a NOTE line above it. Removing a key gives it its\n"
    "# built-in default; an empty file runs on the defaults.\n"
    "#\n"
    "# Unknown or duplicate keys, wrong types and out-of-range values are errors naming the\n"
    "# file, line, column and key. Sizes are plain integers in bytes, durations plain integers\n"
    "# in milliseconds (or seconds where the key says _s).\n"
    "#\n"
    "# Every key can be overridden from the environment: TIDECAST_<SECTION>_<KEY>, dots as '_'\n"
    "# (TIDECAST_HTTP_PORT=8081, TIDECAST_HTTP_LIMITS_MAX_BODY_BYTES=4096, "
    "TIDECAST_LOG_LEVEL=debug;\n"
    "# lists and maps as inline YAML: TIDECAST_ADMIN_TOKEN_SHA256='[\"ab12…\"]'), checked as the\n"
    "# file is; an error names the variable. Variables win over the file.\n"
    "#\n"
    "# SIGHUP re-reads this file: \"Reload: yes\" keys take the new value at once; \"Reload:\n"
    "# restart\" keys keep their running value until the next restart, and the server warns\n"
    "# naming each one that changed.\n";

}  // namespace

std::string printConfig(const Config& config) {
  std::string out(kFileHeader);
  if (config.schema() == nullptr) return out;
  for (const ConfigSection* section : config.schema()->sections()) {
    const std::shared_ptr<void> defaults = section->make();
    const void* current = config.sectionValue(*section);
    out += "\n";
    comment(out, section->doc, 0);
    std::vector<std::string> open;
    if (findField(*section, "") != nullptr) {
      printField(out, *findField(*section, ""), section->name, current, defaults.get(), open, 0);
      continue;
    }
    out += section->name + ":\n";
    for (const ConfigField& field : section->fields) {
      printField(out, field, "", current, defaults.get(), open, 2);
    }
  }
  return out;
}

std::string printConfigReference(const ConfigSchema& schema) {
  auto cell = [](const std::string& text) {
    std::string out;
    for (char c : text) {
      if (c == '|') {
        out += "\\|";
      } else if (c == '\n') {
        out += ' ';
      } else {
        out += c;
      }
    }
    return out;
  };
  std::string out =
      "# Configuration reference\n\n"
      "Generated by `tidecast --print-config-reference` from the sections the code declares;\n"
      "a test fails when this file and the code disagree. `conf/tidecast.yaml` is the same\n"
      "information as a commented configuration file. Every key can be overridden by the\n"
      "environment variable shown (a YAML value: lists and maps inline).\n";
  for (const ConfigSection* section : schema.sections()) {
    const std::shared_ptr<void> defaults = section->make();
    out += "\n## `" + section->name + "`\n\n" + cell(section->doc) + "\n\n";
    out += "| key | value | default | reload | environment | description |\n";
    out += "|---|---|---|---|---|---|\n";
    for (const ConfigField& field : section->fields) {
      std::string def = field.render(defaults.get());
      if (def.find('\n') != std::string::npos) def = "(see conf/tidecast.yaml)";
      std::string type = field.type + (field.unit.empty() ? "" : " (" + field.unit + ")");
      out += "| `" + dotted(section->name, field.key) + "` | " + cell(type) + " | `" + cell(def) +
             "` | " + reloadText(field.reload) + " | `" + environmentName(*section, field) +
             "` | " + cell(field.doc) + " |\n";
    }
  }
  return out;
}

}  // namespace tidecast::core
