#include "core/file_mirror.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <vector>

namespace tidecast::core {

namespace {
constexpr uint64_t kPage = 4096;
}  // namespace

class FileMirror::Region final : public FileRegion {
 public:
  Region(std::shared_ptr<FileMirror> file, uint64_t offset, uint64_t length)
      : file_(std::move(file)), offset_(offset), length_(length) {}
  ~Region() override { file_->release(offset_, length_); }
  int fd() const override { return file_->fd(); }

 private:
  std::shared_ptr<FileMirror> file_;
  uint64_t offset_;
  uint64_t length_;
};

std::shared_ptr<FileMirror> FileMirror::create(const std::string& name) {
  int fd = memfd_create(name.c_str(), MFD_CLOEXEC);
  if (fd < 0) return nullptr;
  return std::shared_ptr<FileMirror>(new FileMirror(fd));
}

FileMirror::~FileMirror() {
  if (fd_ >= 0) ::close(fd_);
}

SliceList FileMirror::mirror(const SliceList& slices) {
  std::vector<iovec> iov;
  iov.reserve(slices.size());
  uint64_t length = 0;
  for (const Slice& slice : slices) {
    if (slice.empty()) continue;
    iov.push_back({const_cast<uint8_t*>(slice.data()), slice.size()});
    length += slice.size();
  }
  if (length == 0 || iov.size() > IOV_MAX) return slices;
  ssize_t written =
      ::pwritev(fd_, iov.data(), static_cast<int>(iov.size()), static_cast<off_t>(end_));
  if (written != static_cast<ssize_t>(length)) return slices;  // tmpfs full: serve from memory
  auto region = std::make_shared<const Region>(shared_from_this(), end_, length);
  SliceList out;
  out.reserve(slices.size());
  uint64_t offset = end_;
  for (const Slice& slice : slices) {
    if (slice.empty()) continue;
    out.push_back(Slice::mirrored(slice, region, offset));
    offset += slice.size();
  }
  // Regions start on page boundaries: punching one releases whole pages only. A partial page
  // would be zeroed in place, under a neighbour's bytes or a sendfile still in flight.
  end_ = (end_ + length + kPage - 1) / kPage * kPage;
  resident_ += length;
  return out;
}

void FileMirror::release(uint64_t offset, uint64_t length) {
  // Pages still referenced by a sendfile in flight stay alive in the kernel until sent.
  uint64_t pages = (length + kPage - 1) / kPage * kPage;
  ::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
              static_cast<off_t>(pages));
  resident_ -= length;
}

SliceList memoryOnly(const SliceList& slices) {
  SliceList out;
  out.reserve(slices.size());
  for (const Slice& slice : slices) out.push_back(slice.memoryOnly());
  return out;
}

}  // namespace tidecast::core
