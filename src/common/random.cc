#include "common/random.h"

#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

namespace brix {

std::string RandomBytes16() {
  std::string out(16, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), 16) != 1) std::abort();
  return out;
}

std::string NewUuid() {
  std::string b = RandomBytes16();
  b[6] = static_cast<char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<char>((b[8] & 0x3f) | 0x80);
  const auto* u = reinterpret_cast<const unsigned char*>(b.data());
  char buf[37];
  std::snprintf(buf, sizeof(buf),
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
                u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
                u[15]);
  return buf;
}

}  // namespace brix
