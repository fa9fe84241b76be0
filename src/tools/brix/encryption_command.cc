#include "tools/brix/encryption_command.h"

#include <cstdio>
#include <cstdlib>

#include "common/encoding.h"
#include "common/sealed_box.h"
#include "storage/encryption_keys.h"
#include "storage/open_storage.h"
#include "tools/cli_exit.h"

namespace brix::tools {
namespace {

constexpr char kNewKeyEnv[] = "BRIX_ENCRYPTION_NEW_KEY";

struct RotateArgs {
  std::string url;
  std::string old_key_file;
  std::string new_key_file;
};

// The key in `file` (flag `flag`), else in the hex variable `var`.
Result<std::string> KeyFrom(const std::string& file, const char* flag, const char* var) {
  if (!file.empty()) return LoadCredentialKey(file, flag);
  const char* hex = std::getenv(var);
  if (hex == nullptr || *hex == '\0') {
    return Status::InvalidArgument(std::string(flag) + " FILE or " + var + " is required");
  }
  auto key = HexDecode(hex);
  if (!key || key->size() != kCredentialKeyBytes) {
    return Status::InvalidArgument(std::string(var) + ": must be 64 hex digits (value not shown)");
  }
  return *key;
}

int RunRotate(const RotateArgs& a) {
  auto old_key = KeyFrom(a.old_key_file, "--old-key-file", storage::kEncryptionKeyEnv);
  if (!old_key.ok()) return ExitCode(old_key.status());
  auto new_key = KeyFrom(a.new_key_file, "--new-key-file", kNewKeyEnv);
  if (!new_key.ok()) return ExitCode(new_key.status());
  // The keyring is not itself encrypted: open the location without encryption.
  auto raw = storage::OpenStorage(a.url, storage::WithoutEncryption(ProcessEnv()));
  if (!raw.ok()) return ExitCode(raw.status());
  Status s = storage::RotateKeyring(**raw, *old_key, *new_key);
  if (!s.ok()) return ExitCode(s);
  std::printf("rotated: %s/%s now opens with the new master key; no data object was rewritten\n",
              (*raw)->Describe().c_str(), storage::kKeyringName);
  return 0;
}

}  // namespace

void AddCrypterFlags(CLI::App* cmd) {
  if (!cmd->get_subcommands({}).empty()) {
    for (CLI::App* sub : cmd->get_subcommands({})) AddCrypterFlags(sub);
    return;
  }
  cmd->add_option_function<std::string>(
         "--crypter.method",
         [](const std::string& v) { ::setenv(storage::kEncryptionMethodEnv, v.c_str(), 1); },
         "client-side encryption: aes256-gcm (needs a master key) or plaintext (env " +
             std::string(storage::kEncryptionMethodEnv) + ")")
      ->check(CLI::IsMember({"aes256-gcm", "plaintext"}));
  cmd->add_option_function<std::string>(
      "--crypter.key-file",
      [](const std::string& v) { ::setenv(storage::kEncryptionKeyFileEnv, v.c_str(), 1); },
      "the master key: a mode-0600 file of 32 bytes or 64 hex digits (or env " +
          std::string(storage::kEncryptionKeyEnv) + " in hex)");
  cmd->add_option_function<std::string>(
         "--crypter.key",
         [](const std::string&) {
           throw CLI::ValidationError("--crypter.key",
                                      "a key on the command line is visible to every user of "
                                      "the machine: use --crypter.key-file FILE or " +
                                          std::string(storage::kEncryptionKeyEnv));
         },
         "refused (use --crypter.key-file)")
      ->group("");
}

void AddEncryptionCommands(CLI::App& app, int* exit_code) {
  CLI::App* enc = app.add_subcommand("encryption", "client-side encryption keys of a location");
  enc->require_subcommand(1);
  auto args = std::make_shared<RotateArgs>();
  CLI::App* rotate = enc->add_subcommand(
      "rotate", "rewrap the location's key-encryption key under a new master key (data is kept)");
  rotate->add_option("--storage,-s", args->url, "the backup or log location")->required();
  rotate->add_option(
      "--old-key-file", args->old_key_file,
      "the current master key (or env " + std::string(storage::kEncryptionKeyEnv) + ")");
  rotate->add_option("--new-key-file", args->new_key_file,
                     "the new master key (or env " + std::string(kNewKeyEnv) + ")");
  rotate->callback([args, exit_code] { *exit_code = RunRotate(*args); });
}

}  // namespace brix::tools
