/* The machine's own limit for a one-event-in-flight protocol, with no daemon:
 * a parent writes an event-sized message down a pipe, a child answers
 * `RESULT 2\nOKREADY\n` down another, N times. Both do nothing else, so the
 * rate is what the kernel's wake-ups allow; no daemon, in any language, can
 * deliver events to one listener faster in the same placement.
 *
 *   pingpong N PARENT_CPU CHILD_CPU [sleep|spin]      (-1: not pinned)
 *
 * The parent plays the daemon. `sleep` (the default): it waits for each
 * answer in a blocking read, as supervisord does in poll(). `spin`: it
 * watches the pipe awake, non-blocking reads with a pause hint between them,
 * yielding the CPU after the first look and every 16th, as tsv's daemon does
 * (awaitAnswers in src/daemon/native/tsv_native.c):
 * the listener's answer then needs no wake-up of the parent.
 *
 * Prints "<round trips per second>". */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>

static void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) exit(2);
}

int main(int argc, char **argv) {
  if (argc != 4 && argc != 5) return 2;
  long n = atol(argv[1]);
  int spin = argc == 5 && strcmp(argv[4], "spin") == 0;
  int a[2], b[2];
  if (pipe(a) != 0 || pipe(b) != 0) return 1;
  char buf[512];
  /* the size of a REMOTE_COMMUNICATION envelope with a short payload */
  char ev[140];
  memset(ev, 'x', sizeof ev);
  pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    close(a[1]);
    close(b[0]);
    pin(atoi(argv[3]));
    while (read(a[0], buf, sizeof buf) > 0)
      if (write(b[1], "RESULT 2\nOKREADY\n", 17) != 17) _exit(1);
    _exit(0);
  }
  close(a[0]);
  close(b[1]);
  if (spin && fcntl(b[0], F_SETFL, O_NONBLOCK) != 0) return 1;
  pin(atoi(argv[2]));
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < n; i++) {
    if (write(a[1], ev, sizeof ev) != (ssize_t)sizeof ev) return 1;
    ssize_t r;
    for (unsigned k = 0; (r = read(b[0], buf, sizeof buf)) < 0 && spin && errno == EAGAIN; k++) {
      if ((k & 15) == 1) sched_yield();
#if defined(__x86_64__) || defined(__i386__)
      else __builtin_ia32_pause();
#endif
    }
    if (r <= 0) return 1;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  close(a[1]);
  waitpid(child, NULL, 0);
  printf("%.0f\n", n / ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9));
  return 0;
}
