/* bench helper: write TOTAL bytes to stdout in CHUNK-byte writes (lines of
 * CHUNK bytes ending in '\n' when CHUNK <= 4096), then exit. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  long long total = atoll(argv[1]);
  long chunk = atol(argv[2]);
  char *buf = malloc(chunk);
  for (long i = 0; i < chunk; i++) buf[i] = 'a' + (char)(i % 26);
  if (chunk <= 4096) buf[chunk - 1] = '\n';
  long long done = 0;
  while (done < total) {
    long n = total - done < chunk ? (long)(total - done) : chunk;
    long off = 0;
    while (off < n) {
      ssize_t w = write(1, buf + off, (size_t)(n - off));
      if (w < 0) { if (errno == EINTR) continue; return 1; }
      off += w;
    }
    done += n;
  }
  return 0;
}
