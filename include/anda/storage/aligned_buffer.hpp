// An owning, zero-initialised byte buffer aligned to 64 bytes (one cache line, one zmm load).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <utility>

namespace anda {

class aligned_buffer {
 public:
  static constexpr std::size_t alignment = 64;

  aligned_buffer() = default;
  explicit aligned_buffer(std::size_t size) : data_{allocate(size)}, size_{size} {}
  aligned_buffer(const aligned_buffer& other) : aligned_buffer(other.size_) {
    if (size_) std::memcpy(data(), other.data(), size_);
  }
  aligned_buffer(aligned_buffer&& other) noexcept
      : data_{std::move(other.data_)}, size_{std::exchange(other.size_, 0)} {}
  aligned_buffer& operator=(aligned_buffer other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    return *this;
  }

  std::uint8_t* data() { return data_.get(); }
  const std::uint8_t* data() const { return data_.get(); }
  std::size_t size() const { return size_; }

 private:
  struct release {
    void operator()(std::uint8_t* p) const { ::operator delete[](p, std::align_val_t{alignment}); }
  };
  static std::uint8_t* allocate(std::size_t size) {
    if (size == 0) return nullptr;
    auto* p = static_cast<std::uint8_t*>(::operator new[](size, std::align_val_t{alignment}));
    std::memset(p, 0, size);
    return p;
  }
  std::unique_ptr<std::uint8_t[], release> data_;
  std::size_t size_ = 0;
};

}  // namespace anda
