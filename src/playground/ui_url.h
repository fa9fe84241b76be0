// The web page's login link for a playground with brixd (docs/ui.md): asks brixd for a fresh
// single-use login code (POST /ui/codes with the admin token of DIR/brixd/token, over HTTPS
// trusting DIR/brixd/tls.crt) and returns https://127.0.0.1:<port>/ui/login?code=<code>. The
// code works once, for 10 minutes; the admin token itself never leaves this process.
#pragma once

#include <string>

#include "common/result.h"

namespace brix::playground {

[[nodiscard]] Result<std::string> UiLoginUrl(const std::string& dir);

}  // namespace brix::playground
