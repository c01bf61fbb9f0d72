// TLS on TcpStream over loopback, against a blocking OpenSSL client on its own thread: the
// round trip, large and mirrored writes arriving intact, close_notify, handshake failures and
// timeouts (ended and counted), a replaced context seen by new connections only; and
// TlsContext's errors. Certificates are made in-process into a temporary directory.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/file_mirror.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/tcp.h"
#include "core/tls_context.h"
#include "tests/core/loop_test_util.h"

namespace tidecast::core {
namespace {

struct CertFiles {
  std::string cert;
  std::string key;
};

// A self-signed P-256 certificate (CN=tidecast-<name>, the given serial) and its key, as PEM.
CertFiles makeCertificate(const std::filesystem::path& dir, const std::string& name, long serial) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* subject = X509_get_subject_name(cert);
  const std::string commonName = "tidecast-" + name;  // distinct: both may be trusted at once
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(commonName.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, subject);
  X509_sign(cert, key, EVP_sha256());
  CertFiles files{(dir / (name + ".crt")).string(), (dir / (name + ".key")).string()};
  std::FILE* out = std::fopen(files.cert.c_str(), "w");
  PEM_write_X509(out, cert);
  std::fclose(out);
  out = std::fopen(files.key.c_str(), "w");
  PEM_write_PrivateKey(out, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(out);
  X509_free(cert);
  EVP_PKEY_free(key);
  return files;
}

// A blocking TLS client trusting `caFile` (the self-signed certificate itself).
class TlsClient {
 public:
  TlsClient(uint16_t port, const std::string& caFile, int receiveBuffer = 0)
      : context_(SSL_CTX_new(TLS_client_method())) {
    SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_load_verify_locations(context_, caFile.c_str(), nullptr);
    const unsigned char alpn[] = "\x08http/1.1";
    SSL_CTX_set_alpn_protos(context_, alpn, sizeof(alpn) - 1);
    fd_ = connectTo(port, receiveBuffer);
    ssl_ = SSL_new(context_);
    SSL_set_fd(ssl_, fd_);
  }
  ~TlsClient() {
    SSL_free(ssl_);
    SSL_CTX_free(context_);
    if (fd_ >= 0) ::close(fd_);
  }
  bool handshake() { return SSL_connect(ssl_) == 1; }
  bool send(std::string_view text) {
    return SSL_write(ssl_, text.data(), static_cast<int>(text.size())) ==
           static_cast<int>(text.size());
  }
  // Reads until `size` bytes, the peer's close_notify or an error.
  std::string receive(size_t size) {
    std::string out;
    char buffer[65536];
    while (out.size() < size) {
      int n = SSL_read(ssl_, buffer, sizeof(buffer));
      if (n <= 0) {
        lastError_ = SSL_get_error(ssl_, n);
        break;
      }
      out.append(buffer, static_cast<size_t>(n));
    }
    return out;
  }
  int lastError() const { return lastError_; }
  long peerSerial() const {
    X509* cert = SSL_get1_peer_certificate(ssl_);
    long serial = cert ? ASN1_INTEGER_get(X509_get0_serialNumber(cert)) : -1;
    X509_free(cert);
    return serial;
  }
  std::string alpn() const {
    const unsigned char* data = nullptr;
    unsigned int length = 0;
    SSL_get0_alpn_selected(ssl_, &data, &length);
    return std::string(reinterpret_cast<const char*>(data), length);
  }
  void closeNotify() { SSL_shutdown(ssl_); }
  int fd() const { return fd_; }

 private:
  SSL_CTX* context_;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  int lastError_ = 0;
};

class TlsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("tidecast-tls-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
    first_ = makeCertificate(dir_, "first", 1);
    auto context = TlsContext::load({first_.cert, first_.key, {"http/1.1"}, "", ""});
    ASSERT_TRUE(context.ok()) << context.error().message;
    acceptor_ = std::make_shared<TlsAcceptor>("test", *context, 5000, metrics_, *log_);
    listener_.setTls(acceptor_);
    ASSERT_TRUE(
        listener_.listen("127.0.0.1", 0, 16, [this](auto s) { accepted(std::move(s)); }).ok());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  virtual void accepted(std::unique_ptr<TcpStream> stream) { server_ = std::move(stream); }

  uint64_t handshakes(const char* result) {
    return metrics_
        .counter("tidecast_core_tls_handshakes_total", "",
                 {{"listener", "test"}, {"result", result}})
        .value();
  }

  std::filesystem::path dir_;
  CertFiles first_;
  Loop loop_;
  MetricsRegistry metrics_;
  std::shared_ptr<spdlog::logger> log_ = makeLogger(LogConfig{"off", LogFormat::kText});
  std::shared_ptr<TlsAcceptor> acceptor_;
  TcpListener listener_{loop_};
  std::unique_ptr<TcpStream> server_;
};

TEST_F(TlsStreamTest, RoundTripDecryptsForOnDataAndEncryptsWrites) {
  bool clientOk = false;
  std::string echoed;
  std::string alpn;
  std::thread client([&] {
    TlsClient c(listener_.boundPort(), first_.cert);
    if (!c.handshake()) return;
    alpn = c.alpn();
    clientOk = c.send("hello\n");
    echoed = c.receive(std::string("echo:hello\n").size());
    c.closeNotify();
  });
  ASSERT_TRUE(runUntil(loop_, [&] { return server_ != nullptr; }));
  EXPECT_TRUE(server_->isTls());
  std::string received;
  int endStatus = 0;
  server_->startRead(
      [&](std::string_view bytes) {
        received.append(bytes);
        if (received.find('\n') != std::string::npos)
          server_->write(Slice::copyOf("echo:" + received));
      },
      [&](int status) { endStatus = status; });
  ASSERT_TRUE(runUntil(loop_, [&] { return endStatus != 0; }));
  client.join();
  EXPECT_TRUE(clientOk);
  EXPECT_EQ(received, "hello\n");
  EXPECT_EQ(echoed, "echo:hello\n");
  EXPECT_EQ(alpn, "http/1.1");
  EXPECT_EQ(endStatus, UV_EOF) << "the client's close_notify is an orderly end";
  EXPECT_EQ(handshakes("ok"), 1u);
  EXPECT_EQ(handshakes("failed"), 0u);
}

TEST_F(TlsStreamTest, LargeAndMirroredWritesArriveIntactThenCloseNotify) {
  auto mirror = FileMirror::create("tls-test");
  ASSERT_NE(mirror, nullptr);
  std::string blockBytes(8192, '\0');
  for (size_t i = 0; i < blockBytes.size(); ++i) blockBytes[i] = static_cast<char>(i * 7);
  Slice block = Slice::copyOf(blockBytes);
  std::string expected;
  SliceList slices;
  for (int i = 0; i < 1024; ++i) {
    std::string header = "#" + std::to_string(i) + "#";
    slices.push_back(Slice::copyOf(header));
    if (i % 2 == 0) {
      slices.push_back(block);
    } else {
      // Mirrored in a file: sendfile would put plaintext on the wire; TLS must encrypt it.
      for (const Slice& s : mirror->mirror({block})) slices.push_back(s);
    }
    expected += header + blockBytes;
  }
  std::string received;
  int closeError = 0;
  std::thread client([&] {
    TlsClient c(listener_.boundPort(), first_.cert, 16384);  // a slow reader: partial writes
    if (!c.handshake()) return;
    received = c.receive(expected.size() + 1);  // one byte more: wait for the close_notify
    closeError = c.lastError();
  });
  ASSERT_TRUE(runUntil(loop_, [&] { return server_ != nullptr; }));
  server_->startRead([](std::string_view) {}, [](int) {});
  bool drained = false;
  server_->setOnDrain([&] { drained = true; });
  server_->write(slices);
  slices.clear();
  EXPECT_GT(server_->pendingBytes(), expected.size() / 2) << "accounted before it is sent";
  server_->shutdownAfterWrites();
  ASSERT_TRUE(runUntil(loop_, [&] { return drained; }));
  client.join();
  EXPECT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected) << "bytes differ";
  EXPECT_EQ(closeError, SSL_ERROR_ZERO_RETURN) << "our close_notify ends the stream";
  EXPECT_EQ(server_->pendingBytes(), 0u);
  EXPECT_EQ(block.useCount(), 1) << "every Slice released once encrypted and sent";
}

TEST_F(TlsStreamTest, PlaintextDecryptedWhileNotReadingWaitsForResumeRead) {
  std::atomic<bool> go{false};
  std::atomic<bool> sent{false};
  std::thread client([&] {
    TlsClient c(listener_.boundPort(), first_.cert);
    bool ok = c.handshake();
    while (!go) std::this_thread::yield();
    if (ok) {
      c.send("first;");
      c.send("second;");
    }
    sent = true;
    c.receive(1);  // until the server closes
  });
  ASSERT_TRUE(runUntil(loop_, [&] { return server_ != nullptr; }));
  std::vector<std::string> chunks;
  server_->startRead(
      [&](std::string_view bytes) {
        chunks.emplace_back(bytes);
        server_->stopRead();  // like an HTTP connection with too many requests waiting
      },
      [](int) {});
  ASSERT_TRUE(runUntil(loop_, [&] { return handshakes("ok") == 1; }));
  // The loop stands still while both records arrive: one read callback decrypts both, so the
  // second is left in the session when the owner stops reading after the first.
  go = true;
  while (!sent) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ASSERT_TRUE(runUntil(loop_, [&] { return !chunks.empty(); }));
  runUntil(
      loop_, [] { return false; }, std::chrono::milliseconds(100));
  ASSERT_EQ(chunks.size(), 1u) << "nothing is delivered while the owner does not read";
  EXPECT_EQ(chunks[0], "first;");
  server_->resumeRead();
  EXPECT_EQ(chunks.size(), 1u) << "not inside resumeRead(): its caller may be in onData";
  EXPECT_TRUE(runUntil(loop_, [&] { return chunks.size() == 2; }));
  if (chunks.size() == 2) {
    EXPECT_EQ(chunks[1], "second;");
  }
  server_->close();
  client.join();
}

TEST_F(TlsStreamTest, AnswerAfterThePeersCloseNotifyStillGoesOutAndDrains) {
  std::string answer;
  int clientError = 0;
  std::thread client([&] {
    TlsClient c(listener_.boundPort(), first_.cert);
    if (!c.handshake()) return;
    c.send("last words");
    c.closeNotify();  // we are done sending; the server may still answer
    answer = c.receive(1024);
    clientError = c.lastError();
  });
  ASSERT_TRUE(runUntil(loop_, [&] { return server_ != nullptr; }));
  bool drained = false;
  int endStatus = 0;
  server_->startRead([](std::string_view) {},
                     [&](int status) {
                       endStatus = status;
                       server_->setOnDrain([&] { drained = true; });
                       server_->write(Slice::copyOf("goodbye"));
                       server_->shutdownAfterWrites();
                     });
  EXPECT_TRUE(runUntil(loop_, [&] { return drained; }));
  client.join();
  EXPECT_EQ(endStatus, UV_EOF);
  EXPECT_EQ(answer, "goodbye");
  EXPECT_EQ(clientError, SSL_ERROR_ZERO_RETURN);
}

TEST_F(TlsStreamTest, PlainBytesFailTheHandshakeAndAreCounted) {
  std::string answer = "unset";
  std::thread client([&] {
    int fd = connectTo(listener_.boundPort());
    const char request[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    (void)::send(fd, request, sizeof(request) - 1, MSG_NOSIGNAL);
    char buffer[256];
    std::string got;
    ssize_t n = 0;
    while ((n = ::recv(fd, buffer, sizeof(buffer), 0)) > 0)
      got.append(buffer, static_cast<size_t>(n));
    answer = got;
    ::close(fd);
  });
  ASSERT_TRUE(runUntil(loop_, [&] { return server_ != nullptr; }));
  int endStatus = 0;
  bool gotData = false;
  server_->startRead([&](std::string_view) { gotData = true; },
                     [&](int status) {
                       endStatus = status;
                       server_->close();
                     });
  ASSERT_TRUE(runUntil(loop_, [&] { return endStatus != 0; }));
  client.join();
  EXPECT_EQ(endStatus, UV_EPROTO);
  EXPECT_FALSE(gotData) << "nothing undecrypted reaches the owner";
  EXPECT_EQ(answer.find("HTTP"), std::string::npos) << "no plaintext answer";
  EXPECT_EQ(handshakes("failed"), 1u);
  EXPECT_EQ(handshakes("ok"), 0u);
}

TEST_F(TlsStreamTest, SilentClientTimesOutInTheHandshake) {
  acceptor_->setHandshakeTimeoutMs(100);
  int fd = connectTo(listener_.boundPort());
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(runUntil(loop_, [&] { return server_ != nullptr; }));
  int endStatus = 0;
  server_->startRead([](std::string_view) {}, [&](int status) { endStatus = status; });
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(runUntil(
      loop_, [&] { return endStatus != 0; }, std::chrono::seconds(3)));
  EXPECT_EQ(endStatus, UV_ETIMEDOUT);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(handshakes("failed"), 1u);
  ::close(fd);
}

TEST_F(TlsStreamTest, ReplacedContextServesNewConnectionsOnly) {
  // Written by the client thread, read by the loop's.
  std::atomic<long> before{0};
  std::atomic<long> after{0};
  auto runClient = [&](std::atomic<long>& serial) {
    std::thread client([&] {
      TlsClient c(listener_.boundPort(), (dir_ / "both.pem").string());
      if (c.handshake()) serial = c.peerSerial();
    });
    EXPECT_TRUE(runUntil(loop_, [&] { return serial != 0; }));
    client.join();
  };
  CertFiles second = makeCertificate(dir_, "second", 2);
  {
    std::ofstream both(dir_ / "both.pem");
    both << std::ifstream(first_.cert).rdbuf() << std::ifstream(second.cert).rdbuf();
  }
  runClient(before);
  auto context = TlsContext::load({second.cert, second.key, {}, "", ""});
  ASSERT_TRUE(context.ok()) << context.error().message;
  acceptor_->replace(*context);
  runClient(after);
  EXPECT_EQ(before.load(), 1);
  EXPECT_EQ(after.load(), 2);
}

TEST(TlsContext, ReportsMissingFilesAndMismatchedKeysWithOpenSslText) {
  auto dir = std::filesystem::temp_directory_path() /
             ("tidecast-tls-context-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  CertFiles a = makeCertificate(dir, "a", 1);
  CertFiles b = makeCertificate(dir, "b", 2);

  auto missing = TlsContext::load({(dir / "nope.crt").string(), a.key, {}, "", ""});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, "tls.cert");
  EXPECT_NE(missing.error().message.find("nope.crt"), std::string::npos);
  EXPECT_NE(missing.error().message.find("error:"), std::string::npos) << "OpenSSL's text";

  auto mismatched = TlsContext::load({a.cert, b.key, {}, "", ""});
  ASSERT_FALSE(mismatched.ok());
  EXPECT_EQ(mismatched.error().code, "tls.key");

  auto badCiphers = TlsContext::load({a.cert, a.key, {}, "NOT-A-CIPHER", ""});
  ASSERT_FALSE(badCiphers.ok());
  EXPECT_EQ(badCiphers.error().code, "tls.config");

  auto empty = TlsContext::load({"", "", {}, "", ""});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, "tls.config");

  auto good = TlsContext::load({a.cert, a.key, {"http/1.1"}, "", ""});
  ASSERT_TRUE(good.ok()) << good.error().message;
  EXPECT_NE((*good)->description().find("CN=tidecast-a"), std::string::npos);
  EXPECT_NE((*good)->description().find("serial=01"), std::string::npos);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace tidecast::core
