// Randomness: a seeded generator for tests and replayable fault injection, and random ids.
#pragma once

#include <string>

namespace brix {

// 16 random bytes from the OS (not seeded; for ids that must not collide across processes).
std::string RandomBytes16();
// RFC 4122 version-4 UUID text, e.g. "3f1c...-...".
std::string NewUuid();

}  // namespace brix
