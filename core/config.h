// The configuration machinery: reading one YAML file (plus TIDECAST_* environment overrides)
// into the sections the rooms declare, validating it, reporting errors, reloading it, and
// printing it back with its documentation. core/ knows how; it does not know what `rtmp:` or
// `social:` hold: each room declares its sections next to its code (one struct, one field
// table), the way an nginx module declares its directives.
//
// A room's section:
//
//   struct DashConfig { uint32_t latencyTargetMs = 1000; };
//   const core::ConfigSection& dashConfigSection() {
//     static const core::ConfigSection section =
//         core::SectionBuilder<DashConfig>("dash", "LL-DASH manifests (delivery/dash).")
//             .integer("latency_target_ms", &DashConfig::latencyTargetMs, 100, 60000, "ms",
//                      core::Reload::kRestart, "ServiceDescription latency target.")
//             .build();
//     return section;
//   }
//
// and the room's list of sections (e.g. delivery::configSections()) names it once; server/
// puts the rooms' lists together into one ConfigSchema. Code reads its section with
// `config.get<DashConfig>()`: a reference that stays valid for the Config's lifetime and sees
// SIGHUP's new values (reload assigns fields in place).
//
// Loading never throws: every problem is an Error whose message names the file, line, column
// and dotted key ("conf/x.yaml:4:3: unknown key 'http.prot'"), or for an environment override
// the variable ("TIDECAST_HTTP_PORT: http.port: expected an integer in 1..65535, got 'x'"),
// with a stable code:
//   config.io             the file is missing or unreadable
//   config.syntax         the text is not YAML (or holds more than one document)
//   config.unknown_key    a key no section declares (typos are errors, never ignored)
//   config.duplicate_key  the same key twice in one mapping
//   config.invalid_value  wrong type, out of range, not one of the allowed names
// A missing key keeps its built-in default; an empty document gives all defaults.
//
// Plain values, no threads: the server loads a Config at start and on SIGHUP.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <typeindex>
#include <utility>
#include <vector>

#include "core/result.h"

namespace tidecast::core {

// Whether SIGHUP applies a changed value (kLive) or the running value stays until a restart
// (kRestart: the reload names the key in its warning).
enum class Reload { kRestart, kLive };

inline constexpr uint64_t kConfigMaxBytes = uint64_t{1} << 40;            // 1 TiB: past it, a typo
inline constexpr uint64_t kConfigMaxMillis = uint64_t{24} * 3600 * 1000;  // one day

// A YAML value being read, with what an error about it must name.
struct ConfigValue {
  const YAML::Node& node;
  std::string_view file;  // "conf/x.yaml", or "TIDECAST_HTTP_PORT" for an override
  std::string key;        // dotted, "http.port"
  YAML::Mark mark;        // where errors point (no position for an override)

  // config.invalid_value: "<where>: <key>: expected <expected>, got <what the node is>".
  Error invalid(std::string_view expected) const;
  // The same value at another node (an item of a list, a key of a mapping).
  ConfigValue at(const YAML::Node& other, const std::string& subkey = {}) const;
};

// The field-table helpers for custom values (a mapping of names, a list of records).
namespace config_detail {
std::string quoted(std::string_view text);  // 'text', escaped and cut for messages
std::string position(std::string_view file, const YAML::Mark& mark);
std::string dotted(std::string_view parent, std::string_view name);
// A scalar's text, or "expected a scalar" for mappings, sequences and null.
Status scalarText(const ConfigValue& v, std::string_view expected, std::string& out);
bool parseDecimal(std::string_view text, uint64_t& out);  // digits only, no overflow
// Bare YAML for a scalar ("8080", "\"*\"", "\"\"").
std::string renderScalar(const std::string& text);
}  // namespace config_detail

// One key of a section, type-erased over the section's struct.
struct ConfigField {
  std::string key;   // within the section, dotted for nested mappings ("limits.max_body_bytes");
                     // "" for a section whose whole value is this field (data_dir, apps)
  std::string type;  // what a value must be: "an integer in 1..65535", "one of text|json"
  std::string unit;  // "ms", "bytes", "" for none
  Reload reload = Reload::kRestart;
  std::string doc;  // what it does, one or more sentences
  std::function<Status(const ConfigValue&, void* section)> parse;
  // The value as YAML: a scalar on one line, or block YAML (several lines) for lists and maps.
  std::function<std::string(const void* section)> render;
  std::function<bool(const void* a, const void* b)> equal;
  std::function<void(void* to, const void* from)> assign;
};

class Config;

// A section: the top-level key, its doc, its fields, and how to make its default struct.
struct ConfigSection {
  std::string name;  // "rtmp"
  std::string doc;
  std::type_index type{typeid(void)};
  std::vector<ConfigField> fields;
  std::function<std::shared_ptr<void>()> make;              // a default-constructed struct
  std::function<std::shared_ptr<void>(const void*)> clone;  // a copy of one
  // Checks between this section and others once everything is read (a ladder an app names
  // exists); `where` names the file or "environment".
  std::function<Status(const Config&, std::string_view where)> check;
};

// Declares a section of struct S, field by field. Each field names a member of S, or a member
// of a member (two member pointers) for nested keys.
template <class S>
class SectionBuilder {
 public:
  SectionBuilder(std::string name, std::string doc) {
    section_.name = std::move(name);
    section_.doc = std::move(doc);
    section_.type = std::type_index(typeid(S));
    section_.make = [] { return std::make_shared<S>(); };
    section_.clone = [](const void* s) { return std::make_shared<S>(*static_cast<const S*>(s)); };
  }

  template <class T>
  using Ref = std::function<T&(S&)>;
  template <class T>
  static Ref<T> member(T S::*m) {
    return [m](S& s) -> T& { return s.*m; };
  }
  template <class M, class T>
  static Ref<T> member(M S::*outer, T M::*inner) {
    return [outer, inner](S& s) -> T& { return (s.*outer).*inner; };
  }

  // An unsigned integer in min..max (a size, a duration, a count, a port).
  template <class T>
  SectionBuilder& integer(std::string key, Ref<T> ref, uint64_t min, uint64_t max, std::string unit,
                          Reload reload, std::string doc) {
    std::string type = "an integer in " + std::to_string(min) + ".." + std::to_string(max);
    auto parse = [ref, min, max, type](const ConfigValue& v, S& s) -> Status {
      std::string text;
      if (Status status = config_detail::scalarText(v, type, text); !status) return status;
      uint64_t n = 0;
      if (!config_detail::parseDecimal(text, n) || n < min || n > max) return v.invalid(type);
      ref(s) = static_cast<T>(n);
      return {};
    };
    auto render = [ref](S& s) { return std::to_string(ref(s)); };
    return add<T>(std::move(key), std::move(type), std::move(unit), reload, std::move(doc), ref,
                  parse, render);
  }
  template <class T>
  SectionBuilder& integer(std::string key, T S::*m, uint64_t min, uint64_t max, std::string unit,
                          Reload reload, std::string doc) {
    return integer<T>(std::move(key), member(m), min, max, std::move(unit), reload, std::move(doc));
  }

  SectionBuilder& flag(std::string key, Ref<bool> ref, Reload reload, std::string doc) {
    return choice<bool>(std::move(key), ref, {{"true", true}, {"false", false}}, reload,
                        std::move(doc));
  }
  SectionBuilder& flag(std::string key, bool S::*m, Reload reload, std::string doc) {
    return flag(std::move(key), member(m), reload, std::move(doc));
  }

  enum class Empty { kAllowed, kRejected };
  SectionBuilder& text(std::string key, Ref<std::string> ref, Empty empty, Reload reload,
                       std::string doc) {
    std::string type = empty == Empty::kAllowed ? "a string" : "a non-empty string";
    auto parse = [ref, empty, type](const ConfigValue& v, S& s) -> Status {
      std::string value;
      if (Status status = config_detail::scalarText(v, type, value); !status) return status;
      if (empty == Empty::kRejected && value.empty()) return v.invalid(type);
      ref(s) = std::move(value);
      return {};
    };
    auto render = [ref](S& s) { return config_detail::renderScalar(ref(s)); };
    return add<std::string>(std::move(key), std::move(type), "", reload, std::move(doc), ref, parse,
                            render);
  }
  SectionBuilder& text(std::string key, std::string S::*m, Empty empty, Reload reload,
                       std::string doc) {
    return text(std::move(key), member(m), empty, reload, std::move(doc));
  }

  // One of a fixed set of names, each standing for a value of T.
  template <class T>
  SectionBuilder& choice(std::string key, Ref<T> ref,
                         std::vector<std::pair<std::string, T>> choices, Reload reload,
                         std::string doc) {
    std::string type = "one of ";
    for (size_t i = 0; i < choices.size(); ++i) type += (i > 0 ? "|" : "") + choices[i].first;
    auto parse = [ref, choices, type](const ConfigValue& v, S& s) -> Status {
      std::string value;
      if (Status status = config_detail::scalarText(v, type, value); !status) return status;
      for (const auto& [name, choice] : choices) {
        if (name == value) {
          ref(s) = choice;
          return {};
        }
      }
      return v.invalid(type);
    };
    auto render = [ref, choices](S& s) {
      for (const auto& [name, choice] : choices) {
        if (choice == ref(s)) return config_detail::renderScalar(name);
      }
      return std::string("~");
    };
    return add<T>(std::move(key), std::move(type), "", reload, std::move(doc), ref, parse, render);
  }
  template <class T>
  SectionBuilder& choice(std::string key, T S::*m, std::vector<std::pair<std::string, T>> choices,
                         Reload reload, std::string doc) {
    return choice<T>(std::move(key), member(m), std::move(choices), reload, std::move(doc));
  }
  // One of a fixed set of names, kept as the name.
  SectionBuilder& name(std::string key, std::string S::*m, std::initializer_list<const char*> names,
                       Reload reload, std::string doc) {
    std::vector<std::pair<std::string, std::string>> choices;
    for (const char* n : names) choices.emplace_back(n, n);
    return choice<std::string>(std::move(key), member(m), std::move(choices), reload,
                               std::move(doc));
  }

  // Anything else (a list of records, a mapping of names): the room parses and renders it.
  // `type` says what a value must be, as error messages and the reference show it.
  template <class T>
  SectionBuilder& custom(std::string key, Ref<T> ref, std::string type, Reload reload,
                         std::string doc, std::function<Status(const ConfigValue&, T&)> parse,
                         std::function<std::string(const T&)> render) {
    auto parseSection = [ref, parse](const ConfigValue& v, S& s) { return parse(v, ref(s)); };
    auto renderSection = [ref, render](S& s) { return render(ref(s)); };
    return add<T>(std::move(key), std::move(type), "", reload, std::move(doc), ref, parseSection,
                  renderSection);
  }
  template <class T>
  SectionBuilder& custom(std::string key, T S::*m, std::string type, Reload reload, std::string doc,
                         std::function<Status(const ConfigValue&, T&)> parse,
                         std::function<std::string(const T&)> render) {
    return custom<T>(std::move(key), member(m), std::move(type), reload, std::move(doc),
                     std::move(parse), std::move(render));
  }

  SectionBuilder& check(std::function<Status(const Config&, std::string_view)> check) {
    section_.check = std::move(check);
    return *this;
  }

  ConfigSection build() { return std::move(section_); }

 private:
  template <class T, class Parse, class Render>
  SectionBuilder& add(std::string key, std::string type, std::string unit, Reload reload,
                      std::string doc, Ref<T> ref, Parse parse, Render render) {
    ConfigField field;
    field.key = std::move(key);
    field.type = std::move(type);
    field.unit = std::move(unit);
    field.reload = reload;
    field.doc = std::move(doc);
    field.parse = [parse](const ConfigValue& v, void* s) { return parse(v, *static_cast<S*>(s)); };
    // Reading through a non-const accessor: the renderers and comparisons never write.
    field.render = [render](const void* s) {
      return render(*const_cast<S*>(static_cast<const S*>(s)));
    };
    field.equal = [ref](const void* a, const void* b) {
      return ref(*const_cast<S*>(static_cast<const S*>(a))) ==
             ref(*const_cast<S*>(static_cast<const S*>(b)));
    };
    field.assign = [ref](void* to, const void* from) {
      ref(*static_cast<S*>(to)) = ref(*const_cast<S*>(static_cast<const S*>(from)));
    };
    section_.fields.push_back(std::move(field));
    return *this;
  }

  ConfigSection section_;
};

// Every section the process knows, in the order the printed file lists them.
class ConfigSchema {
 public:
  ConfigSchema() = default;
  ConfigSchema(std::initializer_list<std::vector<const ConfigSection*>> lists) {
    for (const auto& list : lists) add(list);
  }
  void add(const std::vector<const ConfigSection*>& sections) {
    sections_.insert(sections_.end(), sections.begin(), sections.end());
  }
  const std::vector<const ConfigSection*>& sections() const { return sections_; }
  const ConfigSection* find(std::string_view name) const;

 private:
  std::vector<const ConfigSection*> sections_;
};

// The configuration: one struct per declared section, each with its built-in defaults until
// a file or an environment variable says otherwise.
class Config {
 public:
  Config() = default;  // no section: get<S>() answers S's defaults
  explicit Config(const ConfigSchema& schema);
  // Copies are deep (each section struct copied); moves keep the sections where they are, so
  // references from get() stay valid.
  Config(const Config& other);
  Config& operator=(const Config& other);
  Config(Config&&) noexcept = default;
  Config& operator=(Config&&) noexcept = default;

  // Section S, or S's built-in defaults when no section of that type was declared.
  template <class S>
  const S& get() const {
    if (const void* s = find(std::type_index(typeid(S)))) return *static_cast<const S*>(s);
    static const S defaults{};
    return defaults;
  }
  // Section S, writable (tests, and the loader); added with its defaults when missing.
  template <class S>
  S& edit() {
    if (void* s = find(std::type_index(typeid(S)))) return *static_cast<S*>(s);
    Entry entry{nullptr, std::type_index(typeid(S)), std::make_shared<S>(),
                [](const void* s) { return std::make_shared<S>(*static_cast<const S*>(s)); }};
    entries_.push_back(entry);
    return *static_cast<S*>(entry.value.get());
  }

  const std::string& sourcePath() const { return sourcePath_; }
  void setSourcePath(std::string path) { sourcePath_ = std::move(path); }
  const ConfigSchema* schema() const { return schema_; }
  // The struct of a declared section, type-erased (printing); null when absent.
  const void* sectionValue(const ConfigSection& section) const;

 private:
  friend class ConfigLoader;
  friend std::vector<std::string> applyReload(Config& live, const Config& fresh);
  struct Entry {
    const ConfigSection* section;  // null for one added by edit() outside the schema
    std::type_index type;
    std::shared_ptr<void> value;
    std::function<std::shared_ptr<void>(const void*)> clone;
  };
  const void* find(std::type_index type) const;
  void* find(std::type_index type);
  void* valueOf(const ConfigSection& section);

  const ConfigSchema* schema_ = nullptr;
  std::string sourcePath_;  // file it was loaded from ("" for built-in defaults)
  std::vector<Entry> entries_;
};

// The environment a load reads overrides from (name -> value); tests pass their own.
using Environment = std::function<const char*(const char* name)>;
Environment processEnvironment();  // getenv
Environment noEnvironment();

// A mapping read against a record's field table: the records of a map or a list a room
// parses itself (an app, a ladder, a rendition), declared with SectionBuilder like a section.
// Unknown and duplicate keys are errors as in a section; keys are named from v.key.
Status readRecord(const ConfigValue& v, const ConfigSection& fields, void* record);

// A mapping of names to records (apps, ladders): null is none; each key must be a scalar
// that `valid` accepts (else "expected <expectedName>"), named once (else
// config.duplicate_key); `each` reads its body, whose key is "<v.key>.<name>".
Status readNamedRecords(const ConfigValue& v, std::string_view expectedName,
                        const std::function<bool(std::string_view)>& valid,
                        const std::function<Status(const std::string&, const ConfigValue&)>& each);

// Parses a YAML document against `schema`, then the TIDECAST_* overrides `env` holds.
// `sourceName` names the text in error messages and becomes sourcePath().
Result<Config> parseConfig(const ConfigSchema& schema, std::string_view yamlText,
                           std::string_view sourceName, const Environment& env = noEnvironment());

// Reads and parses `path` ("" for the built-in defaults plus the environment). A missing or
// unreadable file is a config.io error naming it.
Result<Config> loadConfigFile(const ConfigSchema& schema, const std::string& path,
                              const Environment& env = processEnvironment());

// The variable that overrides a field: TIDECAST_<SECTION>_<KEY>, dots and dashes as '_'.
std::string environmentName(const ConfigSection& section, const ConfigField& field);

// SIGHUP: assigns the fields whose reload is kLive from `fresh` into `live`, in place; fields
// that changed but need a restart keep their running value and are returned, dotted
// ("http.port"), so the caller can warn.
std::vector<std::string> applyReload(Config& live, const Config& fresh);

// The configuration as a commented YAML file: every section and key with its doc, type,
// default and reload, the values `config` holds, and a note on each that differs from the
// built-in default. conf/tidecast.yaml is this text (a test holds them equal).
std::string printConfig(const Config& config);
// The key reference (Markdown) for docs/configuration.md.
std::string printConfigReference(const ConfigSchema& schema);

}  // namespace tidecast::core
