// Reading configuration from the environment through an injectable lookup, so that credential
// resolution can be tested without touching the process environment.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace brix {

// Returns the variable's value, or nullopt when it is unset or empty.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

// The real process environment.
EnvLookup ProcessEnv();
// A fixed map (tests).
EnvLookup MapEnv(std::map<std::string, std::string> vars);

}  // namespace brix
