// The one way the library and the `anda` tool write an output file (.npy, SVG, ...).
//
// What `write_output_file(path, bytes)` does depends on what `path` is:
// - missing, or a regular file: written atomically. The bytes go to a temporary file in the same
//   directory (".anda-XXXXXX", made by mkstemp, so its name never exceeds NAME_MAX whatever the
//   length of the output name), which is renamed over `path` only when complete (no fsync). On any
//   failure the temporary file is removed and `path` is left as it was. A replaced regular file
//   keeps its permission bits; a new one gets 0666 minus the umask, as open(2) would give.
// - a symbolic link (a chain of them, up to 40): written through. The rule is applied to the
//   final target (a missing target is created); the link itself stays a link.
// - a character device or a FIFO (/dev/null, /dev/stdout, a named pipe): written directly, never
//   renamed over, truncated or deleted; a write error there (/dev/full) is an error.
// - a directory, a block device or a socket: an error naming the path; nothing is written.
// Every error is an `output_error` whose message starts with the path as given.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>

#include "anda/format/error.hpp"

namespace anda::io {

// An output file that could not be written; the message names the path.
class output_error : public error {
 public:
  using error::error;
};

namespace detail {

[[noreturn]] inline void output_fail(const std::filesystem::path& shown, const std::string& what) {
  std::string msg = shown.string();
  msg += ": ";
  msg += what;
  throw output_error(msg);
}

[[noreturn]] inline void output_fail_errno(const std::filesystem::path& shown, const char* what,
                                           int err) {
  std::string msg = what;
  msg += " (";
  msg += std::strerror(err);
  msg += ')';
  output_fail(shown, msg);
}

// Writes all of `data` to `fd`; false (errno set) on an error or a write that makes no progress.
inline bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    if (n == 0) {
      errno = EIO;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// The permission bits a file created by open(path, O_CREAT, 0666) would get.
inline mode_t new_file_mode() {
  const mode_t mask = ::umask(0);
  ::umask(mask);
  return 0666 & ~mask;
}

inline void write_atomically(const std::filesystem::path& shown,
                             const std::filesystem::path& target, std::string_view data,
                             mode_t mode) {
  const std::filesystem::path dir =
      target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  std::string tmp = (dir / ".anda-XXXXXX").string();
  const int fd = ::mkstemp(tmp.data());
  if (fd < 0)
    output_fail_errno(shown, "cannot open for writing: no temporary file in its directory", errno);
  const auto give_up = [&](const char* what, int err) {
    ::unlink(tmp.c_str());
    output_fail_errno(shown, what, err);
  };
  if (::fchmod(fd, mode) != 0) {
    const int err = errno;
    ::close(fd);
    give_up("cannot set the permissions of the temporary file", err);
  }
  if (!write_all(fd, data)) {
    const int err = errno;
    ::close(fd);
    give_up("write error", err);
  }
  if (::close(fd) != 0) give_up("write error", errno);
  if (::rename(tmp.c_str(), target.c_str()) != 0) give_up("cannot rename into place", errno);
}

inline void write_directly(const std::filesystem::path& shown, const std::filesystem::path& target,
                           std::string_view data) {
  int fd;
  do fd = ::open(target.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) output_fail_errno(shown, "cannot open for writing", errno);
  if (!write_all(fd, data)) {
    const int err = errno;
    ::close(fd);
    output_fail_errno(shown, "write error", err);
  }
  if (::close(fd) != 0) output_fail_errno(shown, "write error", errno);
}

}  // namespace detail

// Writes `data` to `path` by the rule above; throws output_error naming `path`.
inline void write_output_file(const std::filesystem::path& path, std::string_view data) {
  if (path.empty()) throw output_error("output path is empty");
  std::filesystem::path target = path;
  for (int hops = 0;; ++hops) {
    struct stat st {};
    if (::lstat(target.c_str(), &st) != 0) {
      if (errno != ENOENT) detail::output_fail_errno(path, "cannot write", errno);
      return detail::write_atomically(path, target, data, detail::new_file_mode());
    }
    if (S_ISLNK(st.st_mode)) {
      if (hops >= 40) detail::output_fail(path, "too many levels of symbolic links");
      std::error_code ec;
      const std::filesystem::path link = std::filesystem::read_symlink(target, ec);
      if (ec) detail::output_fail(path, "cannot read the symbolic link (" + ec.message() + ")");
      target = link.is_absolute() ? link : target.parent_path() / link;
      continue;
    }
    if (S_ISREG(st.st_mode))
      return detail::write_atomically(path, target, data, st.st_mode & 07777);
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode))
      return detail::write_directly(path, target, data);
    if (S_ISDIR(st.st_mode)) detail::output_fail(path, "is a directory");
    detail::output_fail(path, "is not a regular file, character device or FIFO");
  }
}

}  // namespace anda::io
