/* bench helper: write TOTAL bytes to stdout in CHUNK-byte writes (lines of
 * CHUNK bytes ending in '\n' when CHUNK <= 4096), then exit. With a third
 * argument, a FIFO, it first waits until someone has opened that FIFO for
 * writing and closed it again: the bench's signal to begin. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  if (argc > 3) {
    int go = open(argv[3], O_RDONLY);
    if (go < 0) return 3;
    char c;
    for (ssize_t r; (r = read(go, &c, 1)) != 0;)
      if (r < 0 && errno != EINTR) return 3;
    close(go);
  }
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
