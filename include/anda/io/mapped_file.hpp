// A regular file mapped read-only into memory (POSIX mmap): its pages are read from the page
// cache as they are touched and can be given back once used (release), so a checkpoint of many
// GB never needs its size in resident memory at once.
//
// Safety: every size is checked against the file's size at open time before a byte is touched
// (the callers check their offsets against size()). A file shortened after it was mapped would
// make a read past its new end a SIGBUS, not an error: check_unchanged() compares the open file's
// size and modification time with those at open time, and readers call it before touching a
// region, so a changed file is a clear error (a change between that check and the read remains
// possible, as with any reader of a file that others write).
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <span>
#include <string>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "anda/io/read_file.hpp"

namespace anda::io {

class mapped_file {
 public:
  // Maps the regular file `path` of at most `max_bytes` bytes; file_error names the path.
  mapped_file(const std::filesystem::path& path, std::uintmax_t max_bytes, const std::string& what)
      : name_{path.string()} {
    regular_file_size(path, max_bytes, what);  // refuses devices, FIFOs, directories, huge files
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw file_error(name_ + ": cannot open (" + std::strerror(errno) + ")");
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
      ::close(fd_);
      throw file_error(name_ + ": not a regular file");
    }
    size_ = static_cast<std::size_t>(st.st_size);
    mtime_ns_ = modification_ns(st);
    if (size_ > 0) {
      void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
      if (p == MAP_FAILED) {
        const int e = errno;
        ::close(fd_);
        throw file_error(name_ + ": cannot map (" + std::strerror(e) + ")");
      }
      data_ = static_cast<const std::uint8_t*>(p);
    }
  }
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;
  ~mapped_file() {
    if (data_) ::munmap(const_cast<std::uint8_t*>(data_), size_);
    if (fd_ >= 0) ::close(fd_);
  }

  const std::string& name() const { return name_; }
  std::size_t size() const { return size_; }
  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }

  // file_error when the file's size or modification time differs from those at open time.
  void check_unchanged() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0)
      throw file_error(name_ + ": cannot stat (" + std::strerror(errno) + ")");
    if (static_cast<std::uintmax_t>(st.st_size) != size_ || modification_ns(st) != mtime_ns_)
      throw file_error(name_ + ": changed since it was opened (" + std::to_string(size_) +
                       " bytes then, " + std::to_string(st.st_size) +
                       " now): it must not be written while it is read");
  }

  // Gives the whole pages inside [offset, offset + n) back to the kernel (they are read again
  // from the file if touched later): resident memory drops once a tensor has been converted.
  void release(std::size_t offset, std::size_t n) const {
    if (!data_ || n == 0 || offset >= size_) return;
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t begin = (offset + page - 1) / page * page;
    const std::size_t end = std::min(offset + n, size_) / page * page;
    if (end > begin)
      ::madvise(const_cast<std::uint8_t*>(data_) + begin, end - begin, MADV_DONTNEED);
  }

 private:
  static long long modification_ns(const struct stat& st) {
    return static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec;
  }

  std::string name_;
  int fd_ = -1;
  const std::uint8_t* data_ = nullptr;
  std::size_t size_ = 0;
  long long mtime_ns_ = 0;
};

}  // namespace anda::io
