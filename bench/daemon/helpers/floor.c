/* bench helper: the least CPU a process can spend moving a pipe into a log
 * file on Linux, as tsv's daemon does it without the daemon around it.
 * `writer ... | floor FILE` moves stdin into FILE: wait for the pipe, splice
 * what is there into a spare 1 MiB pipe, splice that to the end of FILE,
 * with the file's blocks allocated up to 2 MiB ahead (see spliceToFile and
 * reserveSpace in src/daemon/native/tsv_native.c). Prints its own CPU time
 * in ms (nanosecond accounting) when stdin ends. A daemon's CPU per MiB can
 * come near this, not below it: what is left is the kernel's copy into the
 * page cache, which every daemon pays.
 *
 * `floor FILE direct` is what it costs without that copy: the file opened
 * O_DIRECT and the child's pipe spliced straight into it, so the pipe's pages
 * go to the disk as they are (whole pages only: the bench's 64 KiB writes).
 * No daemon does this: each write then waits for the disk, a burst that the
 * page cache would take at memory speed goes at the disk's (an SD card's
 * 20 MB/s on a Pi), and a child's pipe pages are aligned only when it writes
 * whole pages. It is here to show where the CPU goes, not as a way. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define AHEAD (2L << 20)

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int direct = argc > 2 && strcmp(argv[2], "direct") == 0;
  int file = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | (direct ? O_DIRECT : 0), 0644);
  int spare[2];
  if (file < 0 || pipe2(spare, O_CLOEXEC) < 0) return 1;
  fcntl(0, F_SETPIPE_SZ, 1 << 20);
  fcntl(spare[1], F_SETPIPE_SZ, 1 << 20);
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  off64_t off = 0, reserved = 0;
  for (;;) {
    struct pollfd p = {0, POLLIN, 0};
    if (poll(&p, 1, -1) < 0 && errno != EINTR) return 1;
    if (direct) {
      ssize_t n = splice(0, NULL, file, &off, 1 << 20, SPLICE_F_NONBLOCK);
      if (n == 0) break;
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        perror("splice into the O_DIRECT file");
        return 1;
      }
      continue;
    }
    ssize_t n = splice(0, NULL, spare[1], NULL, 1 << 20, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return 1;
    }
    while (n > 0) {
      ssize_t w = splice(spare[0], NULL, file, &off, (size_t)n, 0);
      if (w <= 0) return 1;
      n -= w;
    }
    off64_t from = reserved > off ? reserved : off;
    if (off + AHEAD / 2 > reserved && fallocate(file, FALLOC_FL_KEEP_SIZE, from, off + AHEAD - from) == 0)
      reserved = off + AHEAD;
  }
  if (!direct && ftruncate(file, off) < 0) return 1;
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  printf("%.3f\n", t.tv_sec * 1e3 + t.tv_nsec / 1e6);
  return 0;
}
