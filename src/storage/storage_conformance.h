// Behaviour every ExternalStorage must show, as reusable checks: the local driver and the Azure
// driver (against Azurite) run the same ones, so the drivers cannot drift apart.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <random>
#include <string>

#include "storage/external_storage.h"

namespace brix::storage::testing {

inline std::string RandomBytes(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    for (size_t j = 0; j < 8 && i + j < n; ++j) s[i + j] = static_cast<char>(v >> (8 * j));
  }
  return s;
}

class StringSource final : public ByteSource {
 public:
  // `rewinds`: behaves like a file (Rewind starts over) rather than a pipe.
  StringSource(std::string_view data, size_t max_read, bool known_size, bool rewinds = false)
      : data_(data), max_read_(max_read), known_size_(known_size), rewinds_(rewinds) {}
  Result<size_t> Read(char* buf, size_t n) override {
    size_t k = std::min({n, max_read_, data_.size() - pos_});
    std::copy(data_.data() + pos_, data_.data() + pos_ + k, buf);
    pos_ += k;
    return k;
  }
  std::optional<uint64_t> Size() const override {
    return known_size_ ? std::optional<uint64_t>(data_.size()) : std::nullopt;
  }
  Status Rewind() override {
    if (!rewinds_) return ByteSource::Rewind();
    ++rewinds_done;
    pos_ = 0;
    return Status::OK();
  }
  int rewinds_done = 0;

 private:
  std::string_view data_;
  size_t pos_ = 0;
  size_t max_read_;
  bool known_size_;
  bool rewinds_;
};

class StringSink final : public ByteSink {
 public:
  Status Write(std::string_view d) override {
    data.append(d);
    return Status::OK();
  }
  std::string data;
};

// Put/Get/Stat/Exists/Delete of 0 B, 1 B and `big` bytes, ranges, create-only, listing order.
inline void CheckBasicOperations(ExternalStorage& s, size_t big) {
  for (size_t size : {size_t{0}, size_t{1}, big}) {
    std::string name = "basic/obj-" + std::to_string(size);
    std::string data = RandomBytes(size, size + 1);
    ASSERT_TRUE(s.Put(name, data).ok());
    auto got = s.Get(name);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(*got == data) << "size " << size;
    auto info = s.Stat(name);
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->size, size);
    StringSink sink;
    ASSERT_TRUE(s.GetStream(name, sink).ok());
    EXPECT_TRUE(sink.data == data);
  }
  std::string data = RandomBytes(1000, 9);
  ASSERT_TRUE(s.Put("basic/r", data).ok());
  EXPECT_EQ(*s.Get("basic/r", ByteRange{10, 20}), data.substr(10, 20));
  EXPECT_EQ(*s.Get("basic/r", ByteRange{990, 100}), data.substr(990));  // cut at the end
  EXPECT_EQ(*s.Get("basic/r", ByteRange{500, std::nullopt}), data.substr(500));
  EXPECT_EQ(*s.Get("basic/obj-0", ByteRange{0, 10}), "");
  auto past_end = s.Get("basic/r", ByteRange{1000, 5});
  EXPECT_TRUE(past_end.status().IsInvalidArgument())
      << past_end.status().ToString()
      << (past_end.ok() ? " got " + std::to_string(past_end->size()) + " bytes" : "");
  EXPECT_TRUE(s.Get("basic/missing").status().IsNotFound());
  EXPECT_TRUE(s.Stat("basic/missing").status().IsNotFound());
  EXPECT_FALSE(*s.Exists("basic/missing"));
  EXPECT_TRUE(*s.Exists("basic/r"));

  ASSERT_TRUE(s.Put("basic/lock", "owner-1", {.if_absent = true}).ok());
  Status again = s.Put("basic/lock", "owner-2", {.if_absent = true});
  EXPECT_TRUE(again.IsAlreadyExists()) << again.ToString();
  EXPECT_EQ(*s.Get("basic/lock"), "owner-1");

  ASSERT_TRUE(s.Put("basic/r", "replaced").ok());
  EXPECT_EQ(*s.Get("basic/r"), "replaced");
  ASSERT_TRUE(s.Delete("basic/r").ok());
  EXPECT_TRUE(s.Get("basic/r").status().IsNotFound());
  EXPECT_TRUE(s.Delete("basic/r").ok());  // idempotent

  EXPECT_TRUE(s.Put("/abs", "x").IsInvalidArgument());
  EXPECT_TRUE(s.Put("a//b", "x").IsInvalidArgument());
  EXPECT_TRUE(s.Put("a/../b", "x").IsInvalidArgument());
}

// Streamed upload of `size` bytes with and without a known size, read back byte-exact.
inline void CheckStreaming(ExternalStorage& s, size_t size) {
  std::string data = RandomBytes(size, 77);
  // A pipe of unknown size, one of known size, and a file (known size, rewinds).
  for (int kind = 0; kind < 3; ++kind) {
    StringSource src(data, 100'000, /*known_size=*/kind > 0, /*rewinds=*/kind == 2);
    std::string name = std::string("stream/") + (kind == 0   ? "unknown"
                                                 : kind == 1 ? "known"
                                                             : "file");
    Status put = s.PutStream(name, src);
    ASSERT_TRUE(put.ok()) << put.ToString();
    StringSink sink;
    ASSERT_TRUE(s.GetStream(name, sink).ok());
    EXPECT_EQ(sink.data.size(), data.size());
    EXPECT_TRUE(sink.data == data);
  }
}

// Listing with paging: `n` objects under "many/", pages of `page` items, exact names in order;
// then DeletePrefix(`delete_under`) removes exactly the objects under it (by default all).
inline void CheckListing(ExternalStorage& s, int n, int page_size,
                         const std::string& delete_under = "many/") {
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "many/%02d/obj-%06d", i % 7, i);
    names.push_back(buf);
  }
  ASSERT_TRUE(s.Put("many-not/x", "x").ok());
  std::sort(names.begin(), names.end());
  {
    std::vector<std::thread> writers;
    std::atomic<int> next{0}, failures{0};
    for (int t = 0; t < 16; ++t) {
      writers.emplace_back([&] {
        for (int i; (i = next++) < n;) {
          if (!s.Put(names[i], std::to_string(i)).ok()) ++failures;
        }
      });
    }
    for (auto& w : writers) w.join();
    ASSERT_EQ(failures.load(), 0);
  }
  std::vector<std::string> listed;
  std::string token;
  int pages = 0;
  do {
    auto page = s.List("many/", token, page_size);
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    EXPECT_LE(page->objects.size(), static_cast<size_t>(page_size));
    for (auto& o : page->objects) listed.push_back(o.name);
    token = page->next_token;
    ++pages;
  } while (!token.empty());
  EXPECT_EQ(listed, names);
  EXPECT_GE(pages, n / page_size);
  auto all = s.ListAll("many/");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), names.size());
  auto deleted = s.DeletePrefix(delete_under, 16);
  ASSERT_TRUE(deleted.ok()) << deleted.status().ToString();
  const auto under =
      static_cast<uint64_t>(std::count_if(names.begin(), names.end(), [&](const std::string& x) {
        return x.starts_with(delete_under);
      }));
  EXPECT_EQ(*deleted, under);
  EXPECT_TRUE(s.ListAll(delete_under)->empty());
  EXPECT_EQ(s.ListAll("many/")->size(), names.size() - under);
  EXPECT_EQ(s.ListAll("many-not/")->size(), 1u);
}

}  // namespace brix::storage::testing
