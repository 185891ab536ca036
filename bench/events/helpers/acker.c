/* An event listener that acknowledges every event at once, so that the
 * daemon, not the listener, sets the pace. Speaks the protocol on raw fds:
 * READY, then for each event: read the header line, skip `len` bytes (the
 * bench sends ASCII payloads, where characters are bytes), answer
 * `RESULT 2\nOKREADY\n`.
 *
 *   acker GO_FILE OUT_FILE N
 *
 * The first event is held until GO_FILE exists (the daemon has all N events
 * buffered by then); from its answer to the N-th event's arrival is the
 * measured time, written to OUT_FILE as "<events> <seconds> <serial errors>".
 * Serials must run 0, 1, 2, ... (one pool, one listener): anything else is
 * counted as an error (a lost or repeated event). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char buf[1 << 16];
static size_t have = 0, pos = 0;

static int fill(void) {
  if (pos > 0) {
    memmove(buf, buf + pos, have - pos);
    have -= pos;
    pos = 0;
  }
  if (have == sizeof buf) return -1;
  ssize_t n;
  do n = read(0, buf + have, sizeof buf - have); while (n < 0 && errno == EINTR);
  if (n <= 0) return -1;
  have += (size_t)n;
  return 0;
}

static void put(const char *s, size_t n) {
  while (n) {
    ssize_t w = write(1, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      exit(1);
    }
    s += w;
    n -= (size_t)w;
  }
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long field(const char *line, size_t len, const char *key) {
  size_t k = strlen(key);
  for (size_t i = 0; i + k <= len; i++)
    if ((i == 0 || line[i - 1] == ' ') && memcmp(line + i, key, k) == 0) return strtol(line + i + k, NULL, 10);
  return -1;
}

int main(int argc, char **argv) {
  if (argc != 4) return 2;
  const char *go = argv[1], *out = argv[2];
  long n = atol(argv[3]), count = 0, errors = 0;
  double t0 = 0;
  put("READY\n", 6);
  for (;;) {
    char *nl;
    while (!(nl = memchr(buf + pos, '\n', have - pos)))
      if (fill() < 0) return 0;
    size_t linelen = (size_t)(nl - (buf + pos));
    long len = field(buf + pos, linelen, "len:");
    long serial = field(buf + pos, linelen, "serial:");
    pos += linelen + 1;
    while ((long)(have - pos) < len)
      if (fill() < 0) return 0;
    pos += (size_t)len;
    if (serial != count) errors++;
    count++;
    if (count == 1) {
      while (access(go, F_OK) != 0) usleep(1000);
      t0 = now();
    }
    put("RESULT 2\nOKREADY\n", 17);
    if (count == n) {
      double t1 = now();
      FILE *f = fopen(out, "w");
      if (!f) return 1;
      fprintf(f, "%ld %.6f %ld\n", count - 1, t1 - t0, errors);
      fclose(f);
    }
  }
}
