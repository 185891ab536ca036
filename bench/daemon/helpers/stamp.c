/* bench helper: append "<start_ns> <end_ns>\n" to FILE and exit at once.
 * The gap between one run's end and the next run's start is the daemon's
 * crash-to-restart latency. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  long long start = now_ns();
  if (argc < 2) return 2;
  int fd = open(argv[1], O_WRONLY | O_APPEND | O_CREAT, 0644);
  char line[64];
  long long end = now_ns();
  int n = snprintf(line, sizeof line, "%lld %lld\n", start, end);
  if (fd >= 0) { write(fd, line, (size_t)n); close(fd); }
  return argc > 2 ? 1 : 0;
}
