// RtmpSession on a real loop over loopback, driven by a scripted client that sends the
// commands OBS and ffmpeg send (connect, releaseStream, FCPublish, createStream, publish) and
// records every command the server answers with.
#include "ingest/rtmp/rtmp_session.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "core/log.h"
#include "ingest/rtmp/rtmp_server.h"
#include "tests/core/loop_test_util.h"

namespace tidecast::ingest::rtmp {
namespace {

// A received command message: its name and the "code" of its info object ("" without one).
struct Received {
  std::string name;
  std::string code;
  std::string text;  // every value, for failure messages
};

class ScriptedClient {
 public:
  // Connects and completes the (simple) handshake, pumping `loop` meanwhile.
  ScriptedClient(core::Loop& loop, uint16_t port) : fd_(core::connectTo(port)) {
    EXPECT_GE(fd_, 0);
    ::fcntl(fd_, F_SETFL, O_NONBLOCK);
    sendSlices(handshake_.takeOutput());  // C0 + C1
    EXPECT_TRUE(core::runUntil(loop, [&] { return poll() && handshake_.done(); }));
  }
  ~ScriptedClient() { ::close(fd_); }

  // What a publishing encoder sends once connected, without waiting for answers (ffmpeg's
  // rtmpproto.c and OBS send releaseStream, FCPublish and createStream together).
  void connectAndPublish(const std::string& key) {
    sendCommand({AmfValue::string("connect"), AmfValue::number(1),
                 AmfValue::object({{"app", AmfValue::string("live")},
                                   {"tcUrl", AmfValue::string("rtmp://127.0.0.1/live")},
                                   {"type", AmfValue::string("nonprivate")}})});
    sendCommand({AmfValue::string("releaseStream"), AmfValue::number(2), AmfValue::null(),
                 AmfValue::string(key)});
    sendCommand({AmfValue::string("FCPublish"), AmfValue::number(3), AmfValue::null(),
                 AmfValue::string(key)});
    sendCommand({AmfValue::string("createStream"), AmfValue::number(4), AmfValue::null()});
    sendCommand({AmfValue::string("publish"), AmfValue::number(5), AmfValue::null(),
                 AmfValue::string(key), AmfValue::string("live")},
                1);
  }

  // Reads what arrived (non-blocking). False once the server closed the connection.
  bool poll() {
    char buf[65536];
    while (open_) {
      ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
      if (n < 0) break;
      if (n == 0) open_ = false;
      std::string_view bytes(buf, static_cast<size_t>(n));
      if (!handshake_.done()) {
        auto used = handshake_.consume(bytes);
        EXPECT_TRUE(used.ok());
        if (!used) return open_ = false;
        bytes.remove_prefix(*used);
        if (handshake_.done()) sendSlices(handshake_.takeOutput());  // C2
      }
      auto status = reader_.feed(bytes, [this](RtmpMessage&& m) { onMessage(m); });
      EXPECT_TRUE(status.ok());
    }
    return open_;
  }

  bool open() const { return open_; }
  const std::vector<Received>& received() const { return received_; }
  bool got(std::string_view name, std::string_view code) const {
    for (const auto& r : received_) {
      if (r.name == name && r.code == code) return true;
    }
    return false;
  }
  size_t indexOf(std::string_view name, std::string_view code) const {
    for (size_t i = 0; i < received_.size(); ++i) {
      if (received_[i].name == name && received_[i].code == code) return i;
    }
    return received_.size();
  }
  std::string transcript() const {
    std::string out;
    for (const auto& r : received_) out += r.text + "\n";
    return out;
  }

 private:
  void sendCommand(std::initializer_list<AmfValue> values, uint32_t streamId = 0) {
    core::SliceList out;
    writer_.writeMessage(streamId == 0 ? 3 : 8, kMsgAmf0Command, streamId, 0,
                         {core::Slice::copyOf(encodeAmf0(values))}, out);
    sendSlices(out);
  }

  void sendSlices(const core::SliceList& slices) {
    for (const auto& slice : slices) {
      std::string_view bytes = slice.view();
      while (!bytes.empty()) {
        ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN) continue;  // small messages: the buffer drains at once
        ASSERT_GT(n, 0);
        bytes.remove_prefix(static_cast<size_t>(n));
      }
    }
  }

  void onMessage(const RtmpMessage& message) {
    if (message.typeId != kMsgAmf0Command) return;
    auto values = decodeAmf0(message.payload.span());
    ASSERT_TRUE(values.ok());
    Received r;
    for (const auto& value : *values) {
      r.text += value.toString() + " ";
      const AmfValue* code = value.get("code");
      if (code && code->isString()) r.code = *code->asString();
    }
    if (!values->empty() && (*values)[0].isString()) r.name = *(*values)[0].asString();
    received_.push_back(std::move(r));
  }

  int fd_;
  ClientHandshake handshake_;
  ChunkWriter writer_{128};
  ChunkReader reader_;
  std::vector<Received> received_;
  bool open_ = true;
};

class RtmpSessionTest : public ::testing::Test {
 protected:
  RtmpSessionTest()
      : log_(core::makeLogger(config_.get<core::LogConfig>(),
                              std::make_shared<spdlog::sinks::null_sink_mt>())),
        context_{loop_, metrics_, *log_, config_},
        hub_(context_, events_) {
    RtmpConfig settings;
    settings.listen = "127.0.0.1";
    settings.port = 0;
    server_ = std::make_unique<RtmpServer>(context_, hub_, settings);
    EXPECT_TRUE(server_->listen().ok());
  }

  // Pumps the loop and the clients until `done` or the deadline.
  template <class Pred>
  bool pumpUntil(std::initializer_list<ScriptedClient*> clients, Pred done) {
    return core::runUntil(loop_, [&] {
      for (auto* client : clients) client->poll();
      return done();
    });
  }

  core::Config config_;
  core::Loop loop_;
  core::MetricsRegistry metrics_;
  std::shared_ptr<spdlog::logger> log_;
  core::LoopContext context_;
  core::EventBus events_;
  core::StreamHub hub_;
  std::unique_ptr<RtmpServer> server_;
};

TEST_F(RtmpSessionTest, AcceptedPublisherGetsOnFCPublishStartThenOnStatusStart) {
  ScriptedClient client(loop_, server_->port());
  client.connectAndPublish("cam");
  ASSERT_TRUE(pumpUntil({&client}, [&] {
    return client.got("onStatus", "NetStream.Publish.Start");
  })) << client.transcript();
  EXPECT_TRUE(client.got("onFCPublish", "NetStream.Publish.Start")) << client.transcript();
  EXPECT_LT(client.indexOf("onFCPublish", "NetStream.Publish.Start"),
            client.indexOf("onStatus", "NetStream.Publish.Start"))
      << "onFCPublish first, as FMS and SRS send them";
  ASSERT_NE(hub_.find("live/cam"), nullptr);
}

// A publish the server refuses must never be reported as started, in any message: encoders
// that read onFCPublish would believe they are live.
struct RefusalCase {
  const char* name;
  std::string key;
  bool keyAlreadyLive;
  bool authorizerDenies;
  const char* statusCode;
};

void PrintTo(const RefusalCase& c, std::ostream* out) { *out << c.name; }

class RtmpPublishRefusal : public RtmpSessionTest,
                           public ::testing::WithParamInterface<RefusalCase> {};

TEST_P(RtmpPublishRefusal, RefusedPublisherNeverHearsPublishStart) {
  const RefusalCase& c = GetParam();
  ScriptedClient first(loop_, server_->port());
  if (c.keyAlreadyLive) {
    first.connectAndPublish(c.key);
    ASSERT_TRUE(pumpUntil({&first}, [&] {
      return first.got("onStatus", "NetStream.Publish.Start");
    })) << first.transcript();
  }
  if (c.authorizerDenies) {
    hub_.addAuthorizer(core::AccessRequest::Kind::kPublish, [](const auto&, core::AccessDone done) {
      done(core::makeError("auth.denied", "not allowed"));
    });
  }
  ScriptedClient second(loop_, server_->port());
  second.connectAndPublish(c.key);
  ASSERT_TRUE(pumpUntil({&first, &second}, [&] { return !second.open(); }))
      << "the refused publisher's connection must close; got:\n"
      << second.transcript();
  EXPECT_TRUE(second.got("onStatus", c.statusCode)) << second.transcript();
  for (const Received& r : second.received()) {
    EXPECT_NE(r.code, "NetStream.Publish.Start") << "in " << r.text;
  }
  if (c.keyAlreadyLive) {
    EXPECT_TRUE(first.open()) << "the live publisher keeps its stream";
    EXPECT_NE(hub_.find("live/" + c.key), nullptr);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, RtmpPublishRefusal,
                         ::testing::Values(RefusalCase{"second_publisher", "cam", true, false,
                                                       "NetStream.Publish.BadName"},
                                           RefusalCase{"bad_name", "bad name!", false, false,
                                                       "NetStream.Publish.BadName"},
                                           RefusalCase{"authorizer_denies", "cam", false, true,
                                                       "NetStream.Publish.Denied"}),
                         [](const auto& test) { return std::string(test.param.name); });

}  // namespace
}  // namespace tidecast::ingest::rtmp
