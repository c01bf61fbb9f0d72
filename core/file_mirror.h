// An append-only in-memory file (memfd) holding copies of hot, widely served bytes, so that
// sockets can send them with sendfile(2) (kernel page references) instead of copying them
// out of user memory for every viewer. Each mirrored run of bytes is a FileRegion: when the
// last Slice referring to it is gone, its pages are released (a hole is punched). Offsets
// are never reused, so pages the kernel still holds for a sendfile in flight are never
// overwritten. Loop thread only.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/slice.h"

namespace tidecast::core {

class FileMirror : public std::enable_shared_from_this<FileMirror> {
 public:
  // Null when the system has no memfd (the caller serves from memory only).
  static std::shared_ptr<FileMirror> create(const std::string& name);
  ~FileMirror();
  FileMirror(const FileMirror&) = delete;
  FileMirror& operator=(const FileMirror&) = delete;

  int fd() const { return fd_; }
  // Copies `slices` to the end of the file (one write) and returns the same bytes as mirrored
  // Slices. On any failure it returns `slices` unchanged.
  SliceList mirror(const SliceList& slices);
  // Bytes currently held in the file (mirrored and not yet released).
  uint64_t residentBytes() const { return resident_; }

 private:
  explicit FileMirror(int fd) : fd_(fd) {}
  class Region;
  void release(uint64_t offset, uint64_t length);

  int fd_;
  uint64_t end_ = 0;
  uint64_t resident_ = 0;
};

// Turns mirrored Slices back into plain ones (the bytes stay; the file region can go).
SliceList memoryOnly(const SliceList& slices);

}  // namespace tidecast::core
