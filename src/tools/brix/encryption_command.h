// Client-side encryption on the command line (docs/encryption.md):
// - BR's flag names on every command that reads or writes a backup or log location:
//   `--crypter.method aes256-gcm|plaintext` and `--crypter.key-file FILE` (the master key: 32
//   raw bytes or 64 hex digits, mode 0600). They set BRIX_ENCRYPTION_METHOD and
//   BRIX_ENCRYPTION_KEY_FILE for this process, where storage/open_storage.h reads them; the key
//   itself can also come from BRIX_ENCRYPTION_KEY (hex). `--crypter.key VALUE` is refused: a key
//   on the command line is visible to every user of the machine.
// - `brix encryption rotate --storage URL --old-key-file F --new-key-file F` rewraps the
//   location's key-encryption key under the new master key, rewriting only
//   `encryption/keyring`; keys may instead come from BRIX_ENCRYPTION_KEY and
//   BRIX_ENCRYPTION_NEW_KEY (hex).
#pragma once

#include <CLI/CLI.hpp>

namespace brix::tools {

// Adds the --crypter.* flags to every leaf command under `cmd` (and `cmd` itself if a leaf).
void AddCrypterFlags(CLI::App* cmd);

// Adds `brix encryption rotate`; its exit code goes to *exit_code.
void AddEncryptionCommands(CLI::App& app, int* exit_code);

}  // namespace brix::tools
