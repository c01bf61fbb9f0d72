// SHA-256 as lower-case hex (OpenSSL EVP): token and stream-key hashes, public stream ids.
// Pure function, any thread.
#pragma once

#include <string>
#include <string_view>

namespace tidecast::core {

std::string sha256Hex(std::string_view text);

}  // namespace tidecast::core
