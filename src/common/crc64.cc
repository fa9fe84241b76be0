#include "common/crc64.h"

#include <array>
#include <cstring>

namespace brix {
namespace {

// Slicing-by-8 lookup tables for a reflected 64-bit polynomial.
struct Crc64Tables {
  std::array<std::array<uint64_t, 256>, 8> t{};

  explicit Crc64Tables(uint64_t reflected_poly) {
    for (uint64_t i = 0; i < 256; ++i) {
      uint64_t crc = i;
      for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ reflected_poly : crc >> 1;
      t[0][i] = crc;
    }
    for (int k = 1; k < 8; ++k) {
      for (int i = 0; i < 256; ++i) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xff];
    }
  }

  uint64_t Update(uint64_t crc, std::string_view data) const {
    crc = ~crc;
    const auto* p = reinterpret_cast<const unsigned char*>(data.data());
    size_t n = data.size();
    while (n >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);  // little-endian host assumed (x86_64, aarch64)
      crc ^= word;
      crc = t[7][crc & 0xff] ^ t[6][(crc >> 8) & 0xff] ^ t[5][(crc >> 16) & 0xff] ^
            t[4][(crc >> 24) & 0xff] ^ t[3][(crc >> 32) & 0xff] ^ t[2][(crc >> 40) & 0xff] ^
            t[1][(crc >> 48) & 0xff] ^ t[0][crc >> 56];
      p += 8;
      n -= 8;
    }
    while (n--) crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
  }
};

}  // namespace

uint64_t Crc64Xz(std::string_view data, uint64_t crc) {
  static const Crc64Tables tables(0xC96C5795D7870F42ULL);
  return tables.Update(crc, data);
}

uint64_t Crc64Nvme(std::string_view data, uint64_t crc) {
  static const Crc64Tables tables(0x9A6C9329AC4BC9B5ULL);
  return tables.Update(crc, data);
}

}  // namespace brix
