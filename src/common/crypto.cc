#include "common/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace brix {

std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

struct Sha256Hasher::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256Hasher::Sha256Hasher() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->ctx == nullptr || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) {
    std::abort();  // allocation failure inside OpenSSL; nothing sensible to do
  }
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(impl_->ctx); }

void Sha256Hasher::Update(std::string_view data) {
  EVP_DigestUpdate(impl_->ctx, data.data(), data.size());
}

std::string Sha256Hasher::Finish() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

struct BackgroundSha256Hasher::Impl {
  // Buffers move between `free` (the caller may fill them) and `full` (the helper hashes them in
  // order); `filling` is the caller's current one.
  std::mutex mu;
  std::condition_variable changed;
  std::vector<std::string> free;
  std::deque<std::string> full;
  std::string filling;
  size_t buffer_bytes = 0;
  bool done = false;  // no more buffers will come
  Sha256Hasher hasher;
  std::thread helper;

  void Run() {
    std::unique_lock<std::mutex> lock(mu);
    while (true) {
      changed.wait(lock, [&] { return done || !full.empty(); });
      if (full.empty()) return;
      std::string buffer = std::move(full.front());
      full.pop_front();
      lock.unlock();
      hasher.Update(buffer);
      buffer.clear();
      lock.lock();
      free.push_back(std::move(buffer));
      changed.notify_all();
    }
  }

  // Hands `filling` to the helper and takes a free buffer (waiting for one).
  void Hand() {
    std::unique_lock<std::mutex> lock(mu);
    full.push_back(std::move(filling));
    changed.notify_all();
    changed.wait(lock, [&] { return !free.empty(); });
    filling = std::move(free.back());
    free.pop_back();
  }

  void Stop() {
    {
      std::lock_guard<std::mutex> lock(mu);
      done = true;
    }
    changed.notify_all();
    if (helper.joinable()) helper.join();
  }
};

BackgroundSha256Hasher::BackgroundSha256Hasher(size_t buffer_bytes, int buffers)
    : impl_(std::make_unique<Impl>()) {
  impl_->buffer_bytes = std::max<size_t>(buffer_bytes, 1);
  for (int i = 0; i < std::max(buffers, 2); ++i) {
    std::string b;
    b.reserve(impl_->buffer_bytes);
    (i == 0 ? impl_->filling : impl_->free.emplace_back()) = std::move(b);
  }
  impl_->helper = std::thread([impl = impl_.get()] { impl->Run(); });
}

BackgroundSha256Hasher::~BackgroundSha256Hasher() { impl_->Stop(); }

void BackgroundSha256Hasher::Update(std::string_view data) {
  while (!data.empty()) {
    size_t take = std::min(data.size(), impl_->buffer_bytes - impl_->filling.size());
    impl_->filling.append(data.data(), take);
    data.remove_prefix(take);
    if (impl_->filling.size() == impl_->buffer_bytes) impl_->Hand();
  }
}

std::string BackgroundSha256Hasher::Finish() {
  if (!impl_->filling.empty()) impl_->Hand();
  impl_->Stop();  // the helper drains `full` before it returns
  return impl_->hasher.Finish();
}

std::string Sha256(std::string_view data) {
  Sha256Hasher h;
  h.Update(data);
  return h.Finish();
}

}  // namespace brix
