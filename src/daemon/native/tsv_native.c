/*
 * tsv's native helper: the few system calls Node cannot make but Supervisor's
 * child setup needs. Node's child_process gives children socketpairs instead
 * of pipes (so `> /dev/stdout` fails with ENXIO), drops supplementary groups
 * when it switches uid, cannot set a per-child umask, and uses setsid instead
 * of setpgrp. This module forks and sets up the child exactly as Supervisor's
 * process.py _spawn_as_child does, with the same messages on fd 2.
 *
 * After fork() the child only makes async-signal-safe calls: everything it
 * needs (argv, envp, groups, messages) is prepared in the parent.
 */
#define _GNU_SOURCE
/* 64-bit file offsets on 32-bit hosts too (armv7l): a Pi's log passes 2 GiB,
 * and pread/pwrite/ftruncate at such an offset would fail (or the offset
 * wrap) with a 32-bit off_t */
#define _FILE_OFFSET_BITS 64
#include <node_api.h>
#include <uv.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <langinfo.h>
#include <locale.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <netdb.h>
#include <netinet/in.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <sys/ioctl.h>
#include <syslog.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/vfs.h>
#include <sys/inotify.h>
#include <sys/uio.h>
#include <sys/timerfd.h>
#endif

_Static_assert(sizeof(off_t) == 8, "off_t must have 64 bits (_FILE_OFFSET_BITS)");

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "napi call failed: " #call); return NULL; } } while (0)

static const char *errno_name(int e) {
  switch (e) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EIO) E(ENXIO) E(E2BIG) E(ENOEXEC) E(EBADF) E(ECHILD)
    E(EAGAIN) E(ENOMEM) E(EACCES) E(EFAULT) E(ENOTBLK) E(EBUSY) E(EEXIST) E(EXDEV) E(ENODEV)
    E(ENOTDIR) E(EISDIR) E(EINVAL) E(ENFILE) E(EMFILE) E(ENOTTY) E(ETXTBSY) E(EFBIG) E(ENOSPC)
    E(ESPIPE) E(EROFS) E(EMLINK) E(EPIPE) E(ENAMETOOLONG) E(ELOOP) E(ELIBBAD) E(ENOSYS)
    E(ECONNREFUSED) E(ECONNRESET) E(ENOTSOCK) E(EPROTOTYPE) E(ETIMEDOUT)
#undef E
    default: return "EUNKNOWN";
  }
}

static void wr(const char *s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(2, s, n);
    if (w < 0) { if (errno == EINTR) continue; return; }
    s += w; n -= (size_t)w;
  }
}

static char *get_string(napi_env env, napi_value v) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *buf = malloc(len + 1);
  if (!buf) return NULL;
  napi_get_value_string_utf8(env, v, buf, len + 1, &len);
  return buf;
}

static char **get_string_array(napi_env env, napi_value arr) {
  uint32_t n = 0;
  if (napi_get_array_length(env, arr, &n) != napi_ok) return NULL;
  char **out = calloc(n + 1, sizeof(char *));
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    napi_get_element(env, arr, i, &el);
    out[i] = get_string(env, el);
  }
  out[n] = NULL;
  return out;
}

static void free_string_array(char **a) {
  if (!a) return;
  for (char **p = a; *p; p++) free(*p);
  free(a);
}

static napi_value prop(napi_env env, napi_value obj, const char *name) {
  napi_value v;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return NULL;
  napi_valuetype t;
  napi_typeof(env, v, &t);
  if (t == napi_undefined || t == napi_null) return NULL;
  return v;
}

static int32_t prop_int(napi_env env, napi_value obj, const char *name, int32_t dflt) {
  napi_value v = prop(env, obj, name);
  int32_t out = dflt;
  if (v) napi_get_value_int32(env, v, &out);
  return out;
}

static int prop_bool(napi_env env, napi_value obj, const char *name) {
  napi_value v = prop(env, obj, name);
  bool out = false;
  if (v) napi_get_value_bool(env, v, &out);
  return out ? 1 : 0;
}

static napi_value throw_errno(napi_env env, const char *what, int e) {
  napi_value msg, code, err;
  napi_create_string_utf8(env, what, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &err);
  napi_value errnov;
  napi_create_int32(env, e, &errnov);
  napi_set_named_property(env, err, "errno", errnov);
  napi_throw(env, err);
  return NULL;
}

/* `fd` itself if >= 3, else a close-on-exec copy at >= 3 (the original is
 * closed), so that dup2 onto 0..2 never aliases it; -1 with errno on failure. */
static int above_stdio(int fd) {
  if (fd >= 3) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  int saved = errno;
  close(fd);
  errno = saved;
  return moved;
}

/* A pipe whose ends are both >= 3 (so dup2 onto 0..2 never aliases) and
 * close-on-exec (so no other child inherits them). */
static int make_pipe(int fds[2]) {
  int raw[2];
  if (pipe2(raw, O_CLOEXEC) < 0) return -1;
  raw[0] = above_stdio(raw[0]);
  raw[1] = above_stdio(raw[1]);
  if (raw[0] < 0 || raw[1] < 0) {
    int saved = errno;
    if (raw[0] >= 0) close(raw[0]);
    if (raw[1] >= 0) close(raw[1]);
    errno = saved;
    return -1;
  }
  fds[0] = raw[0];
  fds[1] = raw[1];
  return 0;
}

/* The address of unix socket `path`; -1 when it does not fit sun_path. */
static int unix_address(struct sockaddr_un *sa, const char *path) {
  memset(sa, 0, sizeof *sa);
  sa->sun_family = AF_UNIX;
  if (strlen(path) >= sizeof sa->sun_path) return -1;
  strcpy(sa->sun_path, path);
  return 0;
}

static void set_nonblock(int fd) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0) fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void close_from(int lowfd, int maxfd) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, 0) == 0) return;
#endif
  for (int fd = lowfd; fd < maxfd; fd++) close(fd);
}

static int resource_of(const char *name);
static int rlim_of(double v, rlim_t *out);

/* rlimit_* (tsv only): one resource limit the child sets before it drops root */
struct child_limit {
  int resource;
  struct rlimit value;
  /* `rlimit_nofile=65536`, for the child's error line */
  char *text;
};
#define MAX_CHILD_LIMITS 16

struct child_args {
  const char *file;
  char **argv;
  char **envp;
  const char *cwd;
  const char *setuid_error;
  const char *uidbuf;
  int32_t mask, uid, gid, minfds;
  int redirect, has_groups;
  gid_t *groups;
  uint32_t ngroups;
  int in_r, out_w, err_w;
  struct child_limit limits[MAX_CHILD_LIMITS];
  int nlimits;
  /* a program with pty=true: the terminal's slave side, its stdin, stdout and stderr; -1 otherwise */
  int pty_slave;
  /* pidproxy's child (os.spawnv's): none of Supervisor's setup; fds, process
   * group and environment stay as they are, and a failed exec is silent */
  int inherit;
  sigset_t parent_mask;
  /* set by the child when execve fails (it shares our memory until then, as
   * posix_spawn reports its errors), so the daemon can explain the failure */
  volatile int exec_errno;
};

/* The child side of spawn: Supervisor's _spawn_as_child. It runs on its own
 * stack in our address space, so it only makes raw system calls (glibc's
 * setuid family would try to synchronise the parent's threads). */
static int child_main(void *arg) {
  struct child_args *a = arg;
  for (int s = 1; s < NSIG; s++) {
    if (s == SIGKILL || s == SIGSTOP) continue;
    struct sigaction cur;
    if (sigaction(s, NULL, &cur) < 0) continue;
    if (cur.sa_handler != SIG_IGN && cur.sa_handler != SIG_DFL) {
      struct sigaction dfl;
      memset(&dfl, 0, sizeof dfl);
      dfl.sa_handler = SIG_DFL;
      sigaction(s, &dfl, NULL);
    }
  }
  /* Supervisor's children inherit Python's ignored SIGPIPE and SIGXFSZ */
  signal(SIGPIPE, SIG_IGN);
  signal(SIGXFSZ, SIG_IGN);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);

  if (a->inherit) {
    extern char **environ;
    /* Node marked its inherited descriptors close-on-exec at start-up
     * (uv_disable_stdio_inheritance); stdio at least goes on, as from Python */
    for (int fd = 0; fd < 3; fd++) {
      int fl = fcntl(fd, F_GETFD);
      if (fl >= 0 && (fl & FD_CLOEXEC)) fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
    }
    execve(a->file, a->argv, environ);
    a->exec_errno = errno;
    syscall(SYS_exit, 127);
    return 127;
  }

  if (a->pty_slave >= 0) {
    /* A session of its own with the terminal as its controlling tty, as a
     * login shell has; its process group is still its pid, as Supervisor's
     * setpgrp makes it, so stopasgroup/killasgroup reach the same processes. */
    setsid();
    ioctl(a->pty_slave, TIOCSCTTY, 0);
    for (int fd = 0; fd < 3; fd++) dup2(a->pty_slave, fd);
  } else {
    setpgid(0, 0);
    dup2(a->in_r, 0);
    dup2(a->out_w, 1);
    dup2(a->redirect ? a->out_w : a->err_w, 2);
  }
  close_from(3, a->minfds > 3 ? a->minfds : 1024);

  /* before the switch to user=: only root may raise a hard limit */
  for (int i = 0; i < a->nlimits; i++) {
    if (setrlimit(a->limits[i].resource, &a->limits[i].value) < 0) {
      const char *name = errno_name(errno);
      wr("supervisor: couldn't set "); wr(a->limits[i].text); wr(": "); wr(name);
      if (errno == EPERM)
        wr(a->limits[i].resource == RLIMIT_NOFILE ? " (above /proc/sys/fs/nr_open, or above the daemon's hard limit, which only root may raise)"
                                                   : " (above the daemon's hard limit, which only root may raise)");
      wr("\n");
      goto fail;
    }
  }

  if (a->uid >= 0) {
    const char *msg = a->setuid_error;
    if (!msg && (uid_t)a->uid != getuid()) {
      if (getuid() != 0) msg = "Can't drop privilege as nonroot user";
      else if (a->has_groups && syscall(SYS_setgroups, (size_t)a->ngroups, a->groups) < 0) msg = "Could not set groups of effective user";
      else if (syscall(SYS_setgid, (gid_t)a->gid) < 0) msg = "Could not set group id of effective user";
      else if (syscall(SYS_setuid, (uid_t)a->uid) < 0) msg = "Could not set user id of effective user";
    }
    if (msg) {
      wr("supervisor: couldn't setuid to "); wr(a->uidbuf); wr(": "); wr(msg); wr("\n");
      goto fail;
    }
  }
  if (a->cwd && chdir(a->cwd) < 0) {
    const char *name = errno_name(errno);
    wr("supervisor: couldn't chdir to "); wr(a->cwd); wr(": "); wr(name); wr("\n");
    goto fail;
  }
  if (a->mask >= 0) umask((mode_t)a->mask);
  execve(a->file, a->argv, a->envp);
  a->exec_errno = errno;
  {
    const char *name = errno_name(errno);
    wr("supervisor: couldn't exec "); wr(a->argv[0] ? a->argv[0] : a->file); wr(": "); wr(name); wr("\n");
  }
fail:
  wr("supervisor: child process was not spawned\n");
  syscall(SYS_exit, 127);
  return 127;
}

/* Runs child_main in a new process and returns its pid once it has exec'd or
 * failed, or -1 with *fork_errno. The child shares our memory until it execs
 * (CLONE_VM|CLONE_VFORK, as posix_spawn does): no page tables to copy, so
 * spawning costs the same however large the daemon is. Signals stay blocked
 * across the clone so no handler of ours can run on the child's side. */
static pid_t clone_child(struct child_args *ca, int *fork_errno) {
  const size_t stack_size = 256 * 1024;
  void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) {
    *fork_errno = errno;
    return -1;
  }
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  ca->parent_mask = old;
  int saved_errno = errno;
  pid_t pid = clone(child_main, (char *)stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, ca);
  *fork_errno = errno;
  errno = saved_errno;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  munmap(stack, stack_size);
  return pid;
}

/* A new pseudo-terminal of cols x rows: its master (non-blocking) and slave
 * (blocking: it becomes the program's stdio), both close-on-exec and >= 3;
 * -1 with errno. Not node-pty's open(): that one leaves both sides
 * non-blocking and inheritable, and its fork() neither sets supplementary
 * groups nor a umask, and reaps on a thread of its own. IUTF8 on, so the
 * line editor erases a multi-byte character whole. */
static int open_pty(int cols, int rows, int *master, int *slave) {
  int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC), s = -1;
  char name[128];
  if (m < 0 || (m = above_stdio(m)) < 0) return -1;
  if (grantpt(m) < 0 || unlockpt(m) < 0 || ptsname_r(m, name, sizeof name) != 0) goto fail;
  if ((s = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0 || (s = above_stdio(s)) < 0) goto fail;
  struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
  if (ioctl(m, TIOCSWINSZ, &ws) < 0) goto fail;
#ifdef IUTF8
  struct termios t;
  if (tcgetattr(s, &t) == 0) {
    t.c_iflag |= IUTF8;
    tcsetattr(s, TCSANOW, &t);
  }
#endif
  set_nonblock(m);
  *master = m;
  *slave = s;
  return 0;
fail: {
    int saved = errno;
    close(m);
    if (s >= 0) close(s);
    errno = saved;
    return -1;
  }
}

/* The first n arguments as int32 (a missing one is 0): 0, or -1 with a JS exception pending. */
static int int_args(napi_env env, napi_callback_info info, size_t n, int32_t *out) {
  napi_value a[4];
  size_t argc = n;
  if (n > 4 || napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok) {
    napi_throw_error(env, NULL, "napi call failed: napi_get_cb_info");
    return -1;
  }
  for (size_t i = 0; i < n; i++) {
    out[i] = 0;
    if (i < argc) napi_get_value_int32(env, a[i], &out[i]);
  }
  return 0;
}

/* a system call's outcome for JS: 0, or -errno when it failed (rc < 0) */
static napi_value errno_result(napi_env env, int rc) {
  napi_value r;
  napi_create_int32(env, rc < 0 ? -errno : 0, &r);
  return r;
}

/* setWindowSize(fd, cols, rows) -> 0 or -errno: a terminal's new size (the
 * kernel sends SIGWINCH to its foreground process group) */
static napi_value SetWindowSize(napi_env env, napi_callback_info info) {
  int32_t v[3];
  if (int_args(env, info, 3, v) < 0) return NULL;
  struct winsize ws = {.ws_row = (unsigned short)v[2], .ws_col = (unsigned short)v[1]};
  return errno_result(env, ioctl(v[0], TIOCSWINSZ, &ws));
}

/* outputAsIs(fd) -> 0 or -errno: the terminal at fd passes output through
 * untouched (no OPOST: \n stays \n), as ssh sets its client's terminal; what
 * libuv's raw mode leaves on. libuv's return to normal mode restores it. */
static napi_value OutputAsIs(napi_env env, napi_callback_info info) {
  int32_t fd;
  if (int_args(env, info, 1, &fd) < 0) return NULL;
  struct termios t;
  int rc = tcgetattr(fd, &t);
  if (rc == 0) {
    t.c_oflag &= ~(tcflag_t)OPOST;
    rc = tcsetattr(fd, TCSANOW, &t);
  }
  return errno_result(env, rc);
}

/*
 * spawn({file, argv, env, cwd, umask, uid, gid, groups, setuidError,
 *        redirectStderr, minfds, ptyCols, ptyRows}) -> {pid, stdin, stdout, stderr}
 * With ptyCols > 0 the program's stdio is a new pseudo-terminal: stdout is
 * its master, stdin a second descriptor of it, stderr -1.
 * Throws {code: 'EMFILE'|'EAGAIN'|...} for pipe and fork failures, which
 * Supervisor reports as spawn errors before any child exists.
 */
static napi_value Spawn(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value opts;
  CHECK(napi_get_cb_info(env, info, &argc, &opts, NULL, NULL));

  napi_value v;
  char *file = (v = prop(env, opts, "file")) ? get_string(env, v) : NULL;
  char **argv = (v = prop(env, opts, "argv")) ? get_string_array(env, v) : NULL;
  char **envp = (v = prop(env, opts, "env")) ? get_string_array(env, v) : NULL;
  char *cwd = (v = prop(env, opts, "cwd")) ? get_string(env, v) : NULL;
  char *setuid_error = (v = prop(env, opts, "setuidError")) ? get_string(env, v) : NULL;
  int32_t mask = prop_int(env, opts, "umask", -1);
  int32_t uid = prop_int(env, opts, "uid", -1);
  int32_t gid = prop_int(env, opts, "gid", -1);
  int32_t minfds = prop_int(env, opts, "minfds", 1024);
  int32_t pipe_size = prop_int(env, opts, "pipeSize", 0);
  /* a FastCGI socket to place on the child's fd 0 instead of a stdin pipe */
  int32_t stdin_fd = prop_int(env, opts, "stdinFd", -1);
  /* a file the daemon opened to be the child's fd 1 instead of a stdout pipe (stderr then has its own pipe) */
  int32_t stdout_fd = prop_int(env, opts, "stdoutFd", -1);
  int redirect = stdout_fd < 0 && prop_bool(env, opts, "redirectStderr");
  int32_t pty_cols = prop_int(env, opts, "ptyCols", 0);
  int32_t pty_rows = prop_int(env, opts, "ptyRows", 0);
  gid_t *groups = NULL;
  uint32_t ngroups = 0;
  int has_groups = 0;
  if ((v = prop(env, opts, "groups"))) {
    has_groups = 1;
    napi_get_array_length(env, v, &ngroups);
    groups = calloc(ngroups + 1, sizeof(gid_t));
    for (uint32_t i = 0; i < ngroups; i++) {
      napi_value el;
      int32_t g = 0;
      napi_get_element(env, v, i, &el);
      napi_get_value_int32(env, el, &g);
      groups[i] = (gid_t)g;
    }
  }
  /* limits: [{resource: 'NOFILE', soft, hard (-1: unlimited), text}] */
  struct child_limit limits[MAX_CHILD_LIMITS];
  uint32_t nlimits = 0;
  int bad_limit = 0;
  if ((v = prop(env, opts, "limits"))) {
    napi_get_array_length(env, v, &nlimits);
    if (nlimits > MAX_CHILD_LIMITS) nlimits = MAX_CHILD_LIMITS, bad_limit = 1;
    for (uint32_t i = 0; i < nlimits; i++) {
      napi_value el, f;
      napi_get_element(env, v, i, &el);
      char *res = (f = prop(env, el, "resource")) ? get_string(env, f) : NULL;
      double soft = -2, hard = -2;
      if ((f = prop(env, el, "soft"))) napi_get_value_double(env, f, &soft);
      if ((f = prop(env, el, "hard"))) napi_get_value_double(env, f, &hard);
      limits[i].resource = res ? resource_of(res) : -1;
      limits[i].text = (f = prop(env, el, "text")) ? get_string(env, f) : NULL;
      free(res);
      if (limits[i].resource < 0 || soft < -1 || hard < -1 || !limits[i].text ||
          !rlim_of(soft, &limits[i].value.rlim_cur) || !rlim_of(hard, &limits[i].value.rlim_max))
        bad_limit = 1;
    }
  }
  char uidbuf[32] = {0};
  if (uid >= 0) {
    /* preformat "supervisor: couldn't setuid to <uid>: " outside the child */
    int n = uid, len = 0;
    char rev[16];
    do { rev[len++] = (char)('0' + n % 10); n /= 10; } while (n && len < 15);
    for (int i = 0; i < len; i++) uidbuf[i] = rev[len - 1 - i];
  }

  napi_value result = NULL;
  int in[2] = {-1, -1}, out[2] = {-1, -1}, err[2] = {-1, -1}, pty_slave = -1;
  if (!file || !argv || !envp) {
    napi_throw_error(env, NULL, "spawn: file, argv and env are required");
    goto done;
  }
  if (bad_limit) {
    napi_throw_error(env, NULL, "spawn: a limit this system does not have, or not a number");
    goto done;
  }
  if (pty_cols > 0) {
    /* out[0] is the master; in[1] a copy of it, so stdin and stdout close apart */
    if (open_pty(pty_cols, pty_rows, &out[0], &pty_slave) < 0 || (in[1] = fcntl(out[0], F_DUPFD_CLOEXEC, 3)) < 0) {
      int e = errno;
      throw_errno(env, "pipe", e);
      goto done;
    }
    /* the terminal belongs to the user the program runs as, as login and
     * script(1) run by that user leave it: a program that opens it again by
     * name (ttyname, GPG_TTY, mesg) may. Best effort: the program still runs. */
    if (uid >= 0 && fchown(pty_slave, (uid_t)uid, (gid_t)-1) < 0) { /* nothing to undo */ }
  } else if ((stdin_fd < 0 && make_pipe(in) < 0) || (stdout_fd < 0 && make_pipe(out) < 0) || (!redirect && make_pipe(err) < 0)) {
    int e = errno;
    throw_errno(env, "pipe", e);
    goto done;
  }

  struct child_args ca = {
    .file = file, .argv = argv, .envp = envp, .cwd = cwd, .setuid_error = setuid_error,
    .uidbuf = uidbuf, .mask = mask, .uid = uid, .gid = gid, .minfds = minfds,
    .redirect = redirect, .has_groups = has_groups, .groups = groups, .ngroups = ngroups,
    .in_r = stdin_fd >= 0 ? stdin_fd : in[0], .out_w = stdout_fd >= 0 ? stdout_fd : out[1], .err_w = err[1], .pty_slave = pty_slave,
    .nlimits = (int)nlimits,
  };
  memcpy(ca.limits, limits, nlimits * sizeof limits[0]);
  int fork_errno = 0;
  pid_t pid = clone_child(&ca, &fork_errno);
  /* the parent keeps only its own ends */
  if (in[0] >= 0) { close(in[0]); in[0] = -1; }
  if (out[1] >= 0) { close(out[1]); out[1] = -1; }
  if (err[1] >= 0) { close(err[1]); err[1] = -1; }
  if (pty_slave >= 0) { close(pty_slave); pty_slave = -1; }
  if (pid < 0) {
    throw_errno(env, "fork", fork_errno);
    goto done;
  }
  if (in[1] >= 0) set_nonblock(in[1]);
  if (out[0] >= 0) set_nonblock(out[0]);
  if (err[0] >= 0) set_nonblock(err[0]);
  /* A larger output pipe lets a fast writer run ahead and the daemon drain
   * many chunks per wake-up. Best effort: the default 64 KiB stays if refused. */
  if (pipe_size > 0 && pty_cols <= 0) {
    if (out[0] >= 0) fcntl(out[0], F_SETPIPE_SZ, pipe_size);
    if (err[0] >= 0) fcntl(err[0], F_SETPIPE_SZ, pipe_size);
  }

  napi_create_object(env, &result);
  napi_value n;
  napi_create_int32(env, pid, &n); napi_set_named_property(env, result, "pid", n);
  napi_create_int32(env, in[1], &n); napi_set_named_property(env, result, "stdin", n);
  napi_create_int32(env, out[0], &n); napi_set_named_property(env, result, "stdout", n);
  napi_create_int32(env, err[0], &n); napi_set_named_property(env, result, "stderr", n);
  if (ca.exec_errno) {
    napi_create_string_utf8(env, errno_name(ca.exec_errno), NAPI_AUTO_LENGTH, &n);
    napi_set_named_property(env, result, "execError", n);
  }
  in[1] = out[0] = err[0] = -1;

done:
  for (int i = 0; i < 2; i++) {
    if (in[i] >= 0) close(in[i]);
    if (out[i] >= 0) close(out[i]);
    if (err[i] >= 0) close(err[i]);
  }
  if (pty_slave >= 0) close(pty_slave);
  free(file); free(cwd); free(setuid_error); free(groups);
  for (uint32_t i = 0; i < nlimits; i++) free(limits[i].text);
  free_string_array(argv); free_string_array(envp);
  return result;
}

/*
 * spawnInherit(file, argv) -> {pid, execError?}: a child as os.spawnv makes it
 * for Supervisor's pidproxy: our fds 0-2 (and every fd not close-on-exec),
 * process group and environment (the C one, byte for byte), signal handlers
 * reset, SIGPIPE and SIGXFSZ ignored as under Python. A failed execve leaves
 * a child that exits 127 and says nothing; execError names the errno. Throws
 * {code} when no process could be made.
 */
static napi_value SpawnInherit(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  char *file = argc > 0 ? get_string(env, a[0]) : NULL;
  char **argv = argc > 1 ? get_string_array(env, a[1]) : NULL;
  napi_value result = NULL;
  if (!file || !argv) {
    napi_throw_error(env, NULL, "spawnInherit: file and argv are required");
    goto done;
  }
  struct child_args ca = {.file = file, .argv = argv, .inherit = 1, .in_r = -1, .out_w = -1, .err_w = -1};
  int fork_errno = 0;
  pid_t pid = clone_child(&ca, &fork_errno);
  if (pid < 0) {
    throw_errno(env, "fork", fork_errno);
    goto done;
  }
  napi_create_object(env, &result);
  napi_value n;
  napi_create_int32(env, pid, &n);
  napi_set_named_property(env, result, "pid", n);
  if (ca.exec_errno) {
    napi_create_string_utf8(env, errno_name(ca.exec_errno), NAPI_AUTO_LENGTH, &n);
    napi_set_named_property(env, result, "execError", n);
  }
done:
  free(file);
  free_string_array(argv);
  return result;
}

/* waitpid(pid, WNOHANG): the raw status, or -1 while the child runs, or -2
 * when pid is not our child (ECHILD). */
static napi_value WaitPid(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a;
  CHECK(napi_get_cb_info(env, info, &argc, &a, NULL, NULL));
  int32_t pid = 0;
  napi_get_value_int32(env, a, &pid);
  int status = 0;
  pid_t r;
  do { r = waitpid(pid, &status, WNOHANG); } while (r < 0 && errno == EINTR);
  napi_value out;
  napi_create_int32(env, r > 0 ? status : (r == 0 ? -1 : -2), &out);
  return out;
}

/* The pid of some exited child without reaping it (waitid WNOWAIT), or 0. */
static napi_value PeekExited(napi_env env, napi_callback_info info) {
  (void)info;
  siginfo_t si;
  memset(&si, 0, sizeof si);
  int r;
  do { r = waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT); } while (r < 0 && errno == EINTR);
  napi_value out;
  napi_create_int32(env, r == 0 ? si.si_pid : 0, &out);
  return out;
}

/* kill(pid, sig) -> 0 or the errno name */
static napi_value Kill(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  int32_t pid = 0, sig = 0;
  napi_get_value_int32(env, a[0], &pid);
  napi_get_value_int32(env, a[1], &sig);
  napi_value out;
  if (kill(pid, sig) == 0) napi_create_int32(env, 0, &out);
  else napi_create_string_utf8(env, errno_name(errno), NAPI_AUTO_LENGTH, &out);
  return out;
}

/* The supplementary groups Supervisor sets for a user: its primary gid first,
 * then every group that lists the user. Null if the user is unknown.
 * getgrouplist (which reaches every NSS source, as initgroups does) gives each
 * gid once; Supervisor's list, built from getgrall, has the primary gid a
 * second time when that group also lists the user, and setgroups keeps both. */
static napi_value GroupsOf(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a;
  CHECK(napi_get_cb_info(env, info, &argc, &a, NULL, NULL));
  int32_t uid = 0;
  napi_get_value_int32(env, a, &uid);
  struct passwd *pw = getpwuid((uid_t)uid);
  napi_value out;
  if (!pw) { napi_get_null(env, &out); return out; }
  int n = 64;
  gid_t *gs = NULL;
  for (;;) {
    gs = realloc(gs, sizeof(gid_t) * (size_t)n);
    int want = n;
    if (getgrouplist(pw->pw_name, pw->pw_gid, gs, &want) >= 0) { n = want; break; }
    if (want <= n) want = n * 2;
    n = want;
  }
  struct group *primary = getgrgid(pw->pw_gid);
  for (char **m = primary ? primary->gr_mem : NULL; m && *m; m++) {
    if (strcmp(*m, pw->pw_name) != 0) continue;
    gs = realloc(gs, sizeof(gid_t) * (size_t)(n + 1));
    gs[n++] = pw->pw_gid;
    break;
  }
  napi_value arr, name;
  napi_create_object(env, &out);
  napi_create_array_with_length(env, (size_t)n, &arr);
  for (int i = 0; i < n; i++) {
    napi_value g;
    napi_create_int32(env, (int32_t)gs[i], &g);
    napi_set_element(env, arr, (uint32_t)i, g);
  }
  free(gs);
  napi_value gid;
  napi_create_int32(env, (int32_t)pw->pw_gid, &gid);
  napi_create_string_utf8(env, pw->pw_name, NAPI_AUTO_LENGTH, &name);
  napi_set_named_property(env, out, "groups", arr);
  napi_set_named_property(env, out, "gid", gid);
  napi_set_named_property(env, out, "name", name);
  return out;
}

/* syslog(msg) with Python's defaults: LOG_USER | LOG_INFO, ident = program name. */
static napi_value Syslog(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  static char *ident = NULL;
  char *id = get_string(env, a[0]);
  char *msg = get_string(env, a[1]);
  if (id && (!ident || strcmp(ident, id) != 0)) {
    free(ident);
    ident = strdup(id);
    openlog(ident, 0, LOG_USER);
  }
  if (msg) syslog(LOG_INFO, "%s", msg);
  free(id); free(msg);
  return NULL;
}

static int resource_of(const char *name) {
  static const struct { const char *name; int resource; } known[] = {
    {"NOFILE", RLIMIT_NOFILE}, {"NPROC", RLIMIT_NPROC}, {"CORE", RLIMIT_CORE}, {"CPU", RLIMIT_CPU},
    {"DATA", RLIMIT_DATA}, {"FSIZE", RLIMIT_FSIZE}, {"STACK", RLIMIT_STACK}, {"AS", RLIMIT_AS},
    {"MEMLOCK", RLIMIT_MEMLOCK}, {"RSS", RLIMIT_RSS},
#ifdef __linux__
    {"LOCKS", RLIMIT_LOCKS}, {"SIGPENDING", RLIMIT_SIGPENDING}, {"MSGQUEUE", RLIMIT_MSGQUEUE},
    {"NICE", RLIMIT_NICE}, {"RTPRIO", RLIMIT_RTPRIO}, {"RTTIME", RLIMIT_RTTIME},
#endif
  };
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strcmp(name, known[i].name) == 0) return known[i].resource;
  return -1;
}

/* a limit as rlimit_* gives it: -1 is unlimited; past int64 or NaN, none (0 returned) */
static int rlim_of(double v, rlim_t *out) {
  if (v != v || v > 9223372036854775807.0) return 0;
  *out = v < 0 ? RLIM_INFINITY : (rlim_t)v;
  return 1;
}

/* getrlimit(name) -> [soft, hard] with -1 meaning unlimited */
static napi_value GetRlimit(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a;
  CHECK(napi_get_cb_info(env, info, &argc, &a, NULL, NULL));
  char *name = get_string(env, a);
  int res = name ? resource_of(name) : -1;
  free(name);
  struct rlimit rl;
  if (res < 0 || getrlimit(res, &rl) < 0) return throw_errno(env, "getrlimit", res < 0 ? EINVAL : errno);
  napi_value arr, s, h;
  napi_create_array_with_length(env, 2, &arr);
  napi_create_double(env, rl.rlim_cur == RLIM_INFINITY ? -1 : (double)rl.rlim_cur, &s);
  napi_create_double(env, rl.rlim_max == RLIM_INFINITY ? -1 : (double)rl.rlim_max, &h);
  napi_set_element(env, arr, 0, s);
  napi_set_element(env, arr, 1, h);
  return arr;
}

static napi_value SetRlimit(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  char *name = get_string(env, a[0]);
  int res = name ? resource_of(name) : -1;
  free(name);
  double soft = 0, hard = 0;
  napi_get_value_double(env, a[1], &soft);
  napi_get_value_double(env, a[2], &hard);
  struct rlimit rl;
  /* past int64 the cast is undefined (Python's setrlimit raises OverflowError there) */
  if (!rlim_of(soft, &rl.rlim_cur) || !rlim_of(hard, &rl.rlim_max)) return throw_errno(env, "setrlimit", EINVAL);
  if (res < 0 || setrlimit(res, &rl) < 0) return throw_errno(env, "setrlimit", res < 0 ? EINVAL : errno);
  return NULL;
}

/*
 * trimMemory(): malloc_trim(0) where the C library is glibc: the whole free
 * pages in every malloc arena go back to the system. Returns 1 if memory was
 * released, 0 if none was (or not glibc).
 */
static napi_value TrimMemory(napi_env env, napi_callback_info info) {
  (void)info;
  int r = 0;
#ifdef __GLIBC__
  r = malloc_trim(0);
#endif
  napi_value out;
  napi_create_int32(env, r, &out);
  return out;
}

/* prctl(PR_SET_CHILD_SUBREAPER, 1): orphans of our children's trees are
 * reparented to us, not to init, so stopastree can still find and end them.
 * Returns 0, or -errno (-ENOSYS where there is no such thing, e.g. macOS). */
static napi_value BecomeSubreaper(napi_env env, napi_callback_info info) {
  (void)info;
  int r = -ENOSYS;
#ifdef __linux__
  r = prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0 ? 0 : -errno;
#endif
  napi_value out;
  napi_create_int32(env, r, &out);
  return out;
}

/* setProcessName(name): the calling (main) thread's name, which is the
 * process's name for ps -C, pgrep, pkill and killall (/proc/PID/comm, 15
 * bytes at most); the command line stays as it was. 0 or -errno. */
static napi_value SetProcessName(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  char name[16] = {0};
  size_t len = 0;
  napi_get_value_string_utf8(env, a[0], name, sizeof name, &len);
  int r = -ENOSYS;
#ifdef __linux__
  r = prctl(PR_SET_NAME, name, 0, 0, 0) == 0 ? 0 : -errno;
#endif
  napi_value out;
  napi_create_int32(env, r, &out);
  return out;
}

/* Close every descriptor >= lowfd that is not close-on-exec: those were
 * inherited from whoever started the daemon and must not reach children
 * spawned through Node's own child_process. */
static napi_value CloseInherited(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a;
  CHECK(napi_get_cb_info(env, info, &argc, &a, NULL, NULL));
  int32_t low = 3;
  napi_get_value_int32(env, a, &low);
  struct rlimit rl;
  int max = 1024;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 65536) max = (int)rl.rlim_cur;
  int closed = 0;
  for (int fd = low; fd < max; fd++) {
    int fl = fcntl(fd, F_GETFD);
    if (fl >= 0 && !(fl & FD_CLOEXEC)) { close(fd); closed++; }
  }
  napi_value out;
  napi_create_int32(env, closed, &out);
  return out;
}

/* strerror(errno) -> the C library's words for it (Node runs in the C
 * locale, so they are the English ones Python prints). */
static napi_value StrError(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  int32_t e = 0;
  if (argc < 1 || napi_get_value_int32(env, a[0], &e) != napi_ok) {
    napi_throw_type_error(env, NULL, "strerror: an errno number is required");
    return NULL;
  }
  napi_value out;
  CHECK(napi_create_string_utf8(env, strerror(e), NAPI_AUTO_LENGTH, &out));
  return out;
}

/* The locale Python 3.7+ (PEP 538) would coerce LC_CTYPE to in this
 * environment, or null: supervisord's interpreter, finding the C locale
 * (LC_CTYPE, else LANG, unset or naming C, POSIX or a locale not installed)
 * with LC_ALL unset and PYTHONCOERCECLOCALE not 0, sets LC_CTYPE to the first
 * of C.UTF-8, C.utf8, UTF-8 that exists (and has a codeset), and its children
 * inherit it. Our own locale is left as it was. */
static napi_value CoercedCtype(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_get_null(env, &out);
  const char *all = getenv("LC_ALL");
  const char *coerce = getenv("PYTHONCOERCECLOCALE");
  if ((all && *all) || (coerce && strcmp(coerce, "0") == 0)) return out;
  const char *was = setlocale(LC_CTYPE, NULL);
  char *saved = was ? strdup(was) : NULL;
  const char *now = setlocale(LC_CTYPE, "");
  if (!now) now = saved; /* a locale that does not exist leaves the C one */
  if (now && strcmp(now, "C") == 0) {
    static const char *const targets[] = {"C.UTF-8", "C.utf8", "UTF-8"};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
      if (!setlocale(LC_CTYPE, targets[i])) continue;
      const char *codeset = nl_langinfo(CODESET);
      if (!codeset || !*codeset) continue;
      napi_create_string_utf8(env, targets[i], NAPI_AUTO_LENGTH, &out);
      break;
    }
  }
  if (saved) {
    setlocale(LC_CTYPE, saved);
    free(saved);
  }
  return out;
}

/* After daemonizing: stdin, stdout and stderr become /dev/null (as in
 * Supervisor's _daemonize), so the foreground parent can go away. */
static napi_value DevnullStdio(napi_env env, napi_callback_info info) {
  (void)info;
  int fd = open("/dev/null", O_RDWR);
  if (fd < 0) return throw_errno(env, "open /dev/null", errno);
  for (int i = 0; i < 3; i++) if (fd != i) dup2(fd, i);
  if (fd > 2) close(fd);
  return NULL;
}

/*
 * spliceToFile(pipeFd, fileFd, maxBytes) -> bytes moved, 0 at EOF, or -errno
 * (-EAGAIN: the pipe is empty now; -EINVAL: an O_APPEND file or a kernel
 * without splice, nothing taken from the pipe: use read/write; another error:
 * the file refused a write, and what it did not take waits in the spare pipe
 * for takeSpare()). Moves child output from its pipe into the log file
 * inside the kernel: one copy instead of two, no trip through JS memory.
 * fileFd must not be O_APPEND (splice refuses it): the bytes go at the file's
 * current end, taken from lseek so a truncation by someone else (logrotate's
 * copytruncate) is followed as an O_APPEND write would (cut_before, for one
 * that comes between the lseek and the write). fileFd should be readable too.
 *
 * The bytes go through a spare pipe of our own: splice(child pipe -> file)
 * holds the child's pipe lock for the whole file write, so a child writing
 * small pieces stalls behind every page-cache copy (measured: 100-byte lines
 * at ~0.8x the speed of `cat`). Moving the pages to the spare pipe takes the
 * child's lock only for a few pointer moves; the copy into the file then
 * holds the spare's lock, which nobody else wants.
 */
#ifdef __linux__
static int spare_pipe[2] = {-1, -1};
static size_t spare_cap = 0;

/* The spare holds `left` bytes: put them at *off in the file. A file that
 * refuses them (disk full) leaves them in the spare, for takeSpare(). What
 * the file cannot take by splice goes by read and pwrite; if it refuses
 * those too the rest is dropped (a failed write loses them just the same) so
 * the spare is empty for the next call. Returns 0 or -errno. */
static ssize_t drain_spare(int file_fd, loff_t *off, size_t left) {
  while (left > 0) {
    ssize_t w = splice(spare_pipe[0], NULL, file_fd, off, left, 0);
    if (w > 0) left -= (size_t)w;
    else if (w < 0 && errno == EINTR) continue;
    else if (w < 0 && errno != EINVAL) return -errno;
    else break;
  }
  char buf[16384];
  int err = 0;
  while (left > 0) {
    ssize_t r = read(spare_pipe[0], buf, left < sizeof buf ? left : sizeof buf);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -EIO; /* cannot happen: the spare holds `left` bytes */
    left -= (size_t)r;
    /* after a failed write, only empty the spare */
    for (ssize_t done = 0; done < r && !err;) {
      ssize_t w = pwrite(file_fd, buf + done, (size_t)(r - done), *off);
      if (w > 0) { done += w; *off += w; }
      else if (!(w < 0 && errno == EINTR)) err = w == 0 ? EIO : errno;
    }
  }
  return err ? -err : 0;
}

/*
 * logrotate's copytruncate (or `: > NAME`) can cut the file to nothing
 * between our finding its end and our write there: the write then lands at
 * the old end and the file begins with a hole as long as it was (megabytes
 * of NULs, which the next copytruncate copies into its backup). An O_APPEND
 * write finds the end under the inode's lock; splice cannot append. One
 * splice of the spare into the file is one write under that lock, so a cut
 * comes wholly before or after it, and one before it shows as a hole from
 * the start up to the block our bytes begin in. Then our bytes are moved to
 * the start, as an O_APPEND write would have put them. Only a hole counts
 * (bytes a program wrote, even NULs, are never a hole), so a file under one
 * block when it was cut keeps those few NULs.
 */
static int cut_before(int fd, loff_t at) {
  if (at <= 0) return 0;
  loff_t first = lseek64(fd, 0, SEEK_DATA);
  if (first <= 0 || first > at || at - first > 65536) return 0;
  char zeros[4096];
  for (loff_t p = first; p < at;) {
    size_t want = (size_t)(at - p) < sizeof zeros ? (size_t)(at - p) : sizeof zeros;
    ssize_t r = pread(fd, zeros, want, p);
    if (r <= 0) return 0; /* a writer that cannot read (opened write-only) leaves it */
    for (ssize_t i = 0; i < r; i++) if (zeros[i]) return 0;
    p += r;
  }
  return 1;
}

/* the `len` bytes at `from` become the whole file: 0 or -1 */
static int move_to_start(int fd, loff_t from, size_t len) {
  char buf[65536];
  for (size_t done = 0; done < len;) {
    size_t want = len - done < sizeof buf ? len - done : sizeof buf;
    ssize_t r = pread(fd, buf, want, from + (loff_t)done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return -1;
    for (ssize_t w = 0; w < r;) {
      ssize_t x = pwrite(fd, buf + w, (size_t)(r - w), (loff_t)(done + (size_t)w));
      if (x < 0 && errno == EINTR) continue;
      if (x <= 0) return -1;
      w += x;
    }
    done += (size_t)r;
  }
  return ftruncate(fd, (off_t)len);
}

static ssize_t splice_to_file(int pipe_fd, int file_fd, size_t max) {
  if (spare_pipe[0] < 0) {
    if (pipe2(spare_pipe, O_CLOEXEC) < 0) return -errno;
    fcntl(spare_pipe[1], F_SETPIPE_SZ, 1 << 20);
    int cap = fcntl(spare_pipe[1], F_GETPIPE_SZ);
    spare_cap = cap > 0 ? (size_t)cap : 65536;
  }
  int fl = fcntl(file_fd, F_GETFL);
  if (fl < 0) return -errno;
  if (fl & O_APPEND) return -EINVAL;
  /* the end of the file (lseek64, not fstat: fstat would need glibc 2.33) */
  loff_t off = lseek64(file_fd, 0, SEEK_END);
  if (off < 0) return -errno;
  size_t total = 0;
  for (;;) {
    size_t want = max - total < spare_cap ? max - total : spare_cap;
    ssize_t n;
    do n = splice(pipe_fd, NULL, spare_pipe[1], NULL, want, SPLICE_F_MOVE | SPLICE_F_NONBLOCK); while (n < 0 && errno == EINTR);
    if (n < 0) return total > 0 ? (ssize_t)total : -errno;
    if (n == 0) return (ssize_t)total;
    loff_t at = off;
    ssize_t d = drain_spare(file_fd, &off, (size_t)n);
    if (d < 0) return d;
    if (cut_before(file_fd, at) && move_to_start(file_fd, at, (size_t)n) == 0) off = n;
    total += (size_t)n;
    /* less than asked for: the child's pipe is empty; or max reached */
    if ((size_t)n < want || total >= max) return (ssize_t)total;
  }
}
#endif

/* takeSpare() -> Buffer: what a file refused in spliceToFile, out of the spare pipe */
static napi_value TakeSpare(napi_env env, napi_callback_info info) {
  (void)info;
  int held = 0;
#ifdef __linux__
  if (spare_pipe[0] >= 0 && ioctl(spare_pipe[0], FIONREAD, &held) < 0) held = 0;
#endif
  void *data = NULL;
  napi_value out;
  CHECK(napi_create_buffer(env, (size_t)held, &data, &out));
  size_t got = 0;
#ifdef __linux__
  /* the spare blocks when empty: read exactly what FIONREAD counted */
  while (got < (size_t)held) {
    ssize_t r = read(spare_pipe[0], (char *)data + got, (size_t)held - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) break;
    got += (size_t)r;
  }
#endif
  if (got < (size_t)held) CHECK(napi_create_buffer_copy(env, got, data, NULL, &out));
  return out;
}

static napi_value SpliceToFile(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  int32_t pipe_fd = -1, file_fd = -1;
  double max = 0;
  napi_get_value_int32(env, a[0], &pipe_fd);
  napi_get_value_int32(env, a[1], &file_fd);
  napi_get_value_double(env, a[2], &max);
#ifdef __linux__
  ssize_t r = max < 1 ? -EINVAL : splice_to_file(pipe_fd, file_fd, (size_t)max);
#else
  (void)pipe_fd; (void)file_fd; (void)max;
  ssize_t r = -EINVAL;
#endif
  napi_value out;
  napi_create_double(env, (double)r, &out);
  return out;
}

/*
 * reserveSpace(fd, offset, length): allocate the file's blocks in
 * [offset, offset+length) without changing its size (fallocate KEEP_SIZE).
 * trimSpace(fd, end): give back the blocks past the end, if the file still
 * ends at `end` (ext4 ignores a hole punched past the end; a truncate to the
 * same size frees them). Both 0 or -errno (-EOPNOTSUPP where the file system
 * or the OS cannot).
 *
 * Why: a buffered write into blocks that do not exist yet makes ext4 reserve
 * delayed-allocation space and record a delayed extent block by block; into
 * blocks allocated ahead (journald does the same for its files) the write
 * only finds them. Measured with a C splice loop of 64 KiB writes: 0.29 ->
 * 0.22 ms of CPU per MiB, the whole system's CPU including writeback no
 * higher (bench/daemon/README.md).
 *
 * Not on tmpfs: there the blocks are memory, a write costs the same with or
 * without them (C loop: 0.49 against 0.50 ms/MiB), and 2 MiB of RAM per
 * stream would be held for nothing.
 *
 * The trim checks the end first so it can only cut what the daemon wrote;
 * a writer of its own appending between that check and the truncate would
 * lose its bytes, the same window in which spliceToFile, writing at the end
 * it just looked up, would overwrite them: a log file has one writer.
 */
#ifdef __linux__
static int reserve_space(int fd, double offset, double length) {
  struct statfs fs;
  if (fstatfs(fd, &fs) == 0 && fs.f_type == 0x01021994 /* TMPFS_MAGIC */) return -EOPNOTSUPP;
  if (offset < 0 || length <= 0) return -EINVAL;
  return fallocate64(fd, FALLOC_FL_KEEP_SIZE, (loff_t)offset, (loff_t)length) < 0 ? -errno : 0;
}

static int trim_space(int fd, double end) {
  if (end < 0) return -EINVAL;
  /* the end of the file (lseek64, not fstat: fstat would need glibc 2.33) */
  loff_t size = lseek64(fd, 0, SEEK_END);
  if (size < 0) return -errno;
  if (size != (loff_t)end) return 0; /* somebody else wrote or truncated it: leave it */
  /* A truncate sets the file's mtime although no byte changed: put it back, or the log looks written at
     the program's exit or the rotation (ls -t, find -mmin, a shipper's ignore_older). statx, not fstat:
     glibc 2.28 has it. ctime cannot be restored. */
  struct statx sx;
  int have = statx(fd, "", AT_EMPTY_PATH, STATX_MTIME, &sx) == 0 && (sx.stx_mask & STATX_MTIME);
  if (ftruncate64(fd, size) < 0) return -errno;
  if (have) {
    struct timespec times[2] = {{0, UTIME_OMIT}, {(time_t)sx.stx_mtime.tv_sec, (long)sx.stx_mtime.tv_nsec}};
    futimens(fd, times);
  }
  return 0;
}
#else
static int reserve_space(int fd, double offset, double length) { (void)fd; (void)offset; (void)length; return -EOPNOTSUPP; }
static int trim_space(int fd, double end) { (void)fd; (void)end; return -EOPNOTSUPP; }
#endif

/* (fd, number, number?) -> int32: the N-API side of reserveSpace and trimSpace */
static napi_value FileSpaceCall(napi_env env, napi_callback_info info, int reserve) {
  size_t argc = 3;
  napi_value a[3];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  int32_t fd = -1;
  double x = -1, y = 0;
  napi_get_value_int32(env, a[0], &fd);
  napi_get_value_double(env, a[1], &x);
  if (reserve) napi_get_value_double(env, a[2], &y);
  napi_value out;
  napi_create_int32(env, reserve ? reserve_space(fd, x, y) : trim_space(fd, x), &out);
  return out;
}

static napi_value ReserveSpace(napi_env env, napi_callback_info info) { return FileSpaceCall(env, info, 1); }
static napi_value TrimSpace(napi_env env, napi_callback_info info) { return FileSpaceCall(env, info, 0); }

/*
 * readInto(fd, buffer) and writeFrom(fd, buffer, offset): read(2) into the
 * buffer, write(2) of the buffer from offset on. Bytes moved (0 at EOF for a
 * read) or -errno: fs.readSync and writeSync throw on EAGAIN and EPIPE, and
 * building that exception costs more than the system call.
 */
static napi_value fd_transfer(napi_env env, napi_callback_info info, int writing) {
  size_t argc = 3;
  napi_value a[3];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  int32_t fd = -1;
  uint32_t off = 0;
  void *data = NULL;
  size_t len = 0;
  napi_get_value_int32(env, a[0], &fd);
  CHECK(napi_get_buffer_info(env, a[1], &data, &len));
  if (argc > 2) napi_get_value_uint32(env, a[2], &off);
  ssize_t r = -EINVAL;
  if (off <= len) {
    char *p = (char *)data + off;
    do r = writing ? write(fd, p, len - off) : read(fd, p, len - off); while (r < 0 && errno == EINTR);
    if (r < 0) r = -errno;
  }
  napi_value out;
  napi_create_double(env, (double)r, &out);
  return out;
}

static napi_value ReadInto(napi_env env, napi_callback_info info) { return fd_transfer(env, info, 0); }
static napi_value WriteFrom(napi_env env, napi_callback_info info) { return fd_transfer(env, info, 1); }

/*
 * awaitAnswers(fd, budgetNs, buffer, stdinFd, nexts, ends, out): an event
 * listener's answers, waited for awake. Reads fd (the listener's stdout,
 * non-blocking) without sleeping until something comes or it hangs up, or
 * budgetNs have passed, into buffer, and goes on waiting while what it has of
 * the current answer is the beginning of the usual `RESULT 2\nOKREADY\n`
 * (childutils writes it in two pieces). Each time it has exactly that answer
 * it writes the next of the prepared events to stdinFd at once (nexts holds
 * them back to back, ends[i] where the i-th ends: the events the pool sends
 * after such answers, in order; src/events/pool.ts prepares them and checks
 * each write was the one it would have made), and waits for the answer to
 * it, with a budget of its own. It returns to the caller once every prepared
 * event is written, or on anything else: output that is not that answer,
 * the budget run out, EOF, an error.
 *
 * Returns the bytes read: `written` plain answers, then whatever came after
 * them. out[0] = nanoseconds until the first bytes or a hang-up (-1: not
 * within the budget, nothing read); out[1] = how many prepared events were
 * written (a write that fails ends the run without counting: the pool's own
 * write will meet the same error).
 *
 * Why awake, and why here: the protocol has one event in flight per
 * listener, so delivery is a ping-pong paced by wake-ups, and on a VM whose
 * idle vCPU halts each wake-up costs tens of microseconds, more than the
 * exchange itself. A daemon sleeping in epoll pays one per event; and a
 * listener whose next event comes more than a microsecond or two after its
 * answer has halted its own vCPU again, so the events follow their answers
 * from this loop, not from JavaScript. After the first look, and every 16th
 * after that, it yields the CPU: a listener sharing our CPU then runs now,
 * not when the scheduler takes the CPU from us. The caller bounds the budget
 * and the number of events (src/daemon/reply-spin.ts).
 */
static const char LISTENER_ANSWER[] = "RESULT 2\nOKREADY\n";

/* a spin-wait hint: lets a sibling hyperthread, or the hypervisor (pause-loop exiting), run something else */
static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || (defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7)
  __asm__ __volatile__("yield");
#endif
}

static long long mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static napi_value AwaitAnswers(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value a[7];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  int32_t fd = -1, wfd = -1;
  double budget = 0;
  char *buf = NULL, *nexts = NULL;
  size_t len = 0, nextslen = 0, count = 0, outlen = 0;
  uint32_t *ends = NULL;
  void *data = NULL;
  napi_typedarray_type type;
  bool isbuf = false, isarray = false;
  napi_get_value_int32(env, a[0], &fd);
  napi_get_value_double(env, a[1], &budget);
  CHECK(napi_get_buffer_info(env, a[2], (void **)&buf, &len));
  napi_get_value_int32(env, a[3], &wfd);
  napi_is_buffer(env, a[4], &isbuf);
  napi_is_typedarray(env, a[5], &isarray);
  if (isbuf && isarray) {
    CHECK(napi_get_buffer_info(env, a[4], (void **)&nexts, &nextslen));
    CHECK(napi_get_typedarray_info(env, a[5], &type, &count, &data, NULL, NULL));
    if (type != napi_uint32_array) count = 0;
    ends = (uint32_t *)data;
    for (size_t i = 0; i < count; i++)
      if (ends[i] > nextslen || (i > 0 && ends[i] < ends[i - 1])) count = 0;
  }
  CHECK(napi_get_typedarray_info(env, a[6], &type, &outlen, &data, NULL, NULL));
  if (type != napi_float64_array || outlen < 2) {
    napi_throw_type_error(env, NULL, "out must be a Float64Array of 2");
    return NULL;
  }
  double *out = (double *)data;
  const size_t answer = sizeof LISTENER_ANSWER - 1;
  long long start = mono_ns(), waited = -1;
  size_t got = 0, from = 0, written = 0; /* from: where the current answer starts in buf */
  for (unsigned k = 0;; k++) {
    /* fd is non-blocking: a read that finds nothing costs what a poll() would, one that finds the answer saves the poll */
    ssize_t n;
    do n = read(fd, buf + got, len - got); while (n < 0 && errno == EINTR);
    long long now = mono_ns();
    if (n >= 0 || errno != EAGAIN) {
      if (waited < 0) waited = now - start;
      if (n <= 0) break; /* EOF or an error: the caller's next read meets it */
      got += (size_t)n;
      size_t have = got - from;
      if (memcmp(buf + from, LISTENER_ANSWER, have < answer ? have : answer) != 0 || have > answer) break;
      if (have < answer) {
        /* the rest comes from a listener that may be waiting for our CPU */
        sched_yield();
        continue;
      }
      if (written == count) break; /* a plain answer with nothing prepared after it */
      const char *ev = nexts + (written ? ends[written - 1] : 0);
      size_t evlen = ends[written] - (written ? ends[written - 1] : 0);
      ssize_t w;
      do w = write(wfd, ev, evlen); while (w < 0 && errno == EINTR);
      if (w != (ssize_t)evlen) break; /* the pool's own write meets the error (a pipe takes <= PIPE_BUF whole or not at all) */
      written++;
      if (written == count || len - got < answer) break;
      from = got;
      start = mono_ns();
      k = 0;
      continue;
    }
    if (now - start >= (long long)budget) break;
    if ((k & 15) == 1) sched_yield();
    else cpu_relax();
  }
  out[0] = (double)waited;
  out[1] = (double)written;
  napi_value result;
  napi_create_double(env, (double)got, &result);
  return result;
}

/*
 * watchReadable(fd, callback, quiet) -> {start(), stop(), close()}
 * callback(status) runs whenever the fd is readable (or hung up), status < 0
 * is a libuv error. It is level-triggered, so the callback must drain the fd
 * or stop(). close() stops for good; the fd itself stays open (the caller
 * closes it afterwards).
 *
 * A plain watch is libuv's poll watcher. A quiet one (a child's output pipe)
 * is never polled: once anyone has polled a pipe (poll, select, epoll, even
 * libuv's add-and-remove check in uv_poll_init), Linux (5.16+) runs the
 * pipe's wake-up on every write to it from then on, whether or not anyone
 * waits (fs/pipe.c, poll_usage). A child writing 100-byte lines into a
 * polled pipe ran ~25 % slower (64 MiB: 168-180 ms against 135-140 ms,
 * drained the same way). Instead, inotify tells us of the first write after
 * the pipe was found empty (a one-shot IN_MODIFY watch on the pipe, armed
 * while it is empty, gone once it fires), and of the writers' last close
 * (IN_CLOSE_WRITE); writes while the watch is not armed cost the child
 * nothing. inotify hears of a write when it returns, and a write larger
 * than the room in the pipe returns only once someone reads: the program
 * would wait in it for good (over 1 MiB in one write; over 4 KiB where a
 * non-root daemon's user has used up its pipe pages and pipes keep their
 * one page). So the armed pipe also has O_ASYNC set: the kernel signals
 * the daemon's main thread, with the fd, as the first bytes go in and again
 * when the pipe is full, without polling it (kill_fasync, fs/pipe.c). The
 * signal handler only writes the fd into a pipe of the hub's; whichever of
 * the two tells first fires the watch. Every way of writing into a pipe reports IN_MODIFY since Linux
 * 6.5 (before, splice, tee and vmsplice did not); a probe at first use
 * checks that this kernel does, and otherwise, or without inotify or /proc,
 * or with TSV_OUTPUT_WATCH=poll, quiet watches are plain ones.
 */
typedef struct fd_watch {
  uv_poll_t poll;
  napi_env env;
  napi_ref cb;
  napi_async_context ctx;
  int fd;
  int started;
  int closed;   /* close() called: no more callbacks */
  int uv_done;  /* libuv is finished with poll (or never had it) */
  int js_gone;  /* the JS object was collected */
  int polling;  /* poll is initialised: always for plain watches, for quiet ones only after a fallback */
  int in_cb;    /* its callback is running: not freed under it */
  int status;   /* the next callback's status (a quiet watch's fallback that failed) */
  int wd;       /* the armed inotify watch, or -1 */
  int owned;    /* its fd signals the hub's signal to the main thread when O_ASYNC is set */
  int pending;  /* 1: in the hub's list of callbacks to run, 2: in the batch running now */
  int events;   /* what a polled watch waits for: UV_READABLE | UV_DISCONNECT, or UV_WRITABLE (a terminal's input) */
  struct fd_watch *hnext; /* the hub's bucket of wd */
  struct fd_watch *pnext; /* the hub's pending list */
} fd_watch;

static void watch_maybe_free(fd_watch *w) {
  if (w->uv_done && w->js_gone && !w->in_cb && !w->pending) free(w);
}

static void watch_closed_cb(uv_handle_t *h) {
  fd_watch *w = h->data;
  w->uv_done = 1;
  watch_maybe_free(w);
}

static void watch_poll_cb(uv_poll_t *p, int status, int events);

#ifdef __linux__
/* Quiet watches share one inotify descriptor (libuv polls that one). */
#define HUB_BUCKETS 256
static struct {
  int state;   /* 0: not tried, 1: in use, -1: unusable (plain watches instead) */
  int fd;
  uv_loop_t *loop;
  uv_poll_t poll;
  uv_idle_t soon;      /* runs pending callbacks on the next turn of the loop (a timer of 0 ms would run again in the same turn) */
  int scratch[2];      /* tee() probes the pipes into it */
  int armed;
  /* O_ASYNC: the realtime signal an armed pipe raises, the pipe its handler
   * writes the signalled fds into, and the armed watches by fd */
  int sig;
  pid_t tid;
  int sigpipe[2];
  uv_poll_t sigpoll;
  fd_watch **byfd;
  int byfd_len;
  fd_watch *buckets[HUB_BUCKETS];
  /* in the order inotify reported them, which is the order of the writes:
   * a program's stdout and stderr sharing one log keep their order there */
  fd_watch *pending;
  fd_watch *pending_last;
} hub = {.state = 0, .fd = -1, .sigpipe = {-1, -1}};

/* set when the handler could not write an fd down (its pipe full): every armed watch looks at its pipe */
static volatile sig_atomic_t hub_sig_lost;

static void hub_soon_cb(uv_idle_t *h);

static void async_set(int fd, int on) {
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0 && !!(fl & O_ASYNC) != on) fcntl(fd, F_SETFL, on ? fl | O_ASYNC : fl & ~O_ASYNC);
}

static void hub_unmap(fd_watch *w) {
  if (w->wd < 0) return;
  fd_watch **pp = &hub.buckets[(unsigned)w->wd % HUB_BUCKETS];
  while (*pp && *pp != w) pp = &(*pp)->hnext;
  if (*pp) *pp = w->hnext;
  w->hnext = NULL;
  w->wd = -1;
  async_set(w->fd, 0);
  if (w->fd < hub.byfd_len && hub.byfd[w->fd] == w) hub.byfd[w->fd] = NULL;
  if (--hub.armed == 0) uv_unref((uv_handle_t *)&hub.poll);
}

/* a one-shot inotify watch on whatever fd is open to (inotify takes only paths) */
static int watch_fd_once(int fd, uint32_t mask) {
  char path[48];
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  return inotify_add_watch(hub.fd, path, mask | IN_ONESHOT);
}

static int hub_arm(fd_watch *w) {
  if (w->fd >= hub.byfd_len) {
    int len = w->fd + 64;
    fd_watch **grown = realloc(hub.byfd, (size_t)len * sizeof *grown);
    if (!grown) return -ENOMEM;
    memset(grown + hub.byfd_len, 0, (size_t)(len - hub.byfd_len) * sizeof *grown);
    hub.byfd = grown;
    hub.byfd_len = len;
  }
  if (!w->owned) {
    struct f_owner_ex owner = {F_OWNER_TID, hub.tid};
    if (fcntl(w->fd, F_SETOWN_EX, &owner) < 0 || fcntl(w->fd, F_SETSIG, hub.sig) < 0) return -errno;
    w->owned = 1;
  }
  int wd = watch_fd_once(w->fd, IN_MODIFY | IN_CLOSE_WRITE);
  if (wd < 0) return -errno;
  w->wd = wd;
  hub.byfd[w->fd] = w;
  async_set(w->fd, 1);
  fd_watch **b = &hub.buckets[(unsigned)wd % HUB_BUCKETS];
  w->hnext = *b;
  *b = w;
  if (hub.armed++ == 0) uv_ref((uv_handle_t *)&hub.poll);
  return 0;
}

static void hub_disarm(fd_watch *w) {
  if (w->wd < 0) return;
  int wd = w->wd;
  hub_unmap(w);
  inotify_rm_watch(hub.fd, wd);
}

static void hub_unqueue(fd_watch *w) {
  /* one in the running batch stays there: its turn sees it stopped or closed */
  if (w->pending != 1) return;
  fd_watch *prev = NULL;
  fd_watch **pp = &hub.pending;
  while (*pp && *pp != w) {
    prev = *pp;
    pp = &(*pp)->pnext;
  }
  if (*pp) {
    *pp = w->pnext;
    if (hub.pending_last == w) hub.pending_last = prev;
  }
  w->pnext = NULL;
  w->pending = 0;
}

static void hub_queue(fd_watch *w) {
  if (w->pending) return;
  w->pending = 1;
  w->pnext = NULL;
  if (hub.pending_last) hub.pending_last->pnext = w;
  else hub.pending = w;
  hub.pending_last = w;
  if (!uv_is_active((uv_handle_t *)&hub.soon)) uv_idle_start(&hub.soon, hub_soon_cb);
}

/* 1: bytes wait in the pipe, or its writers are gone; 0: empty; -errno: not a
 * pipe we can look into. tee() peeks without taking anything and, unlike
 * FIONREAD, tells an end of file from an empty pipe; unlike poll it leaves
 * the pipe as it was. */
static int pipe_waiting(int fd) {
  ssize_t n;
  do n = tee(fd, hub.scratch[1], 1, SPLICE_F_NONBLOCK); while (n < 0 && errno == EINTR);
  if (n < 0) return errno == EAGAIN ? 0 : -errno;
  if (n > 0) {
    char c;
    while (read(hub.scratch[0], &c, 1) < 0 && errno == EINTR) {}
  }
  return 1;
}

/* does a one-shot watch on the read end `fd` see a byte put into `wfd` by vmsplice (how 0) or splice (how 1)? */
static int probe_sees(int fd, int wfd, int how) {
  int wd = watch_fd_once(fd, IN_MODIFY);
  if (wd < 0) return 0;
  char c = 'p';
  if (how == 0) {
    struct iovec v = {&c, 1};
    if (vmsplice(wfd, &v, 1, 0) != 1) return 0;
  } else {
    if (write(hub.scratch[1], &c, 1) != 1 || splice(hub.scratch[0], NULL, wfd, NULL, 1, 0) != 1) return 0;
  }
  while (read(fd, &c, 1) < 0 && errno == EINTR) {}
  union { struct inotify_event e; char b[4096]; } u;
  ssize_t n = read(hub.fd, u.b, sizeof u.b);
  int seen = 0;
  for (char *p = u.b; n > 0 && p < u.b + n;) {
    struct inotify_event *e = (struct inotify_event *)p;
    if (e->wd == wd && (e->mask & IN_MODIFY)) seen = 1;
    p += sizeof *e + e->len;
  }
  if (!seen) inotify_rm_watch(hub.fd, wd);
  return seen;
}

static void hub_cb(uv_poll_t *p, int status, int events);

/* async-signal-safe: the fd down the hub's pipe (-1: look at every armed
 * pipe, as for SIGIO, which the kernel sends when the realtime signal's
 * queue is full) */
static void hub_sig_handler(int sig, siginfo_t *si, void *uc) {
  (void)uc;
  int saved = errno;
  int fd = sig == hub.sig && si->si_code > 0 ? si->si_fd : -1;
  /* one signal per arming, as inotify's one-shot watch: the kernel signals
   * every write while O_ASYNC is set, and a program writing short lines
   * would keep the main thread in this handler */
  int fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
  if (fl >= 0 && (fl & O_ASYNC)) fcntl(fd, F_SETFL, fl & ~O_ASYNC);
  if (write(hub.sigpipe[1], &fd, sizeof fd) != (ssize_t)sizeof fd) hub_sig_lost = 1;
  errno = saved;
}

static void hub_fire_fd(int fd) {
  fd_watch *w = fd >= 0 && fd < hub.byfd_len ? hub.byfd[fd] : NULL;
  if (!w) return; /* disarmed meanwhile */
  hub_disarm(w);
  hub_queue(w);
}

static void hub_run_pending(void);

static void hub_sig_cb(uv_poll_t *p, int status, int events) {
  (void)p; (void)status; (void)events;
  int fds[256];
  int all = 0;
  for (;;) {
    ssize_t n = read(hub.sigpipe[0], fds, sizeof fds);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (size_t i = 0; i < (size_t)n / sizeof *fds; i++) {
      if (fds[i] < 0) all = 1;
      else hub_fire_fd(fds[i]);
    }
  }
  if (hub_sig_lost) {
    hub_sig_lost = 0;
    all = 1;
  }
  if (all)
    for (int fd = 0; fd < hub.byfd_len; fd++)
      if (hub.byfd[fd] && pipe_waiting(fd) != 0) hub_fire_fd(fd);
  hub_run_pending();
}

/* the signals that armed pipes raise, and where their handler puts the fds */
static int hub_signals(uv_loop_t *loop) {
  hub.sig = SIGRTMIN + 6;
  hub.tid = (pid_t)syscall(SYS_gettid);
  if (pipe2(hub.sigpipe, O_CLOEXEC | O_NONBLOCK) < 0) return 0;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = hub_sig_handler;
  sa.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&sa.sa_mask);
  if (sigaction(hub.sig, &sa, NULL) < 0 || sigaction(SIGIO, &sa, NULL) < 0 || uv_poll_init(loop, &hub.sigpoll, hub.sigpipe[0]) != 0) {
    close(hub.sigpipe[0]);
    close(hub.sigpipe[1]);
    hub.sigpipe[0] = hub.sigpipe[1] = -1;
    return 0;
  }
  uv_poll_start(&hub.sigpoll, UV_READABLE, hub_sig_cb);
  /* the inotify poll keeps the loop alive while a watch is armed */
  uv_unref((uv_handle_t *)&hub.sigpoll);
  return 1;
}

static int hub_ready(uv_loop_t *loop) {
  if (hub.state != 0) return hub.state > 0 && hub.loop == loop;
  hub.state = -1;
  const char *force = getenv("TSV_OUTPUT_WATCH");
  if (force && strcmp(force, "poll") == 0) return 0;
  hub.fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (hub.fd < 0) return 0;
  int probe[2] = {-1, -1};
  int ok = pipe2(hub.scratch, O_CLOEXEC | O_NONBLOCK) == 0 && pipe2(probe, O_CLOEXEC | O_NONBLOCK) == 0 &&
           probe_sees(probe[0], probe[1], 0) && probe_sees(probe[0], probe[1], 1);
  if (probe[0] >= 0) { close(probe[0]); close(probe[1]); }
  if (ok) ok = uv_poll_init(loop, &hub.poll, hub.fd) == 0;
  if (ok && !hub_signals(loop)) {
    uv_close((uv_handle_t *)&hub.poll, NULL);
    ok = 0;
  }
  if (!ok) {
    close(hub.fd);
    hub.fd = -1;
    if (hub.scratch[0] > 0) { close(hub.scratch[0]); close(hub.scratch[1]); }
    return 0;
  }
  uv_poll_start(&hub.poll, UV_READABLE, hub_cb);
  uv_unref((uv_handle_t *)&hub.poll);
  uv_idle_init(loop, &hub.soon);
  hub.loop = loop;
  hub.state = 1;
  return 1;
}

static void watch_fallback(fd_watch *w);

/* The quiet watch is started and its pipe was just emptied (or not looked
 * at yet): arm it, and look once more, since bytes written before the watch
 * was armed make no event. A pipe that was written into again while it was
 * drained (a program writing fast) is seen by a first look and goes straight
 * back in line: arming a watch only to remove it again cost ~2 % of the
 * daemon's CPU per MiB of such a stream (a path lookup in /proc to add it;
 * removing it queues an IN_IGNORED event for the hub to read; a look is one
 * tee). */
static void quiet_resume(fd_watch *w) {
  int r = pipe_waiting(w->fd);
  if (r == 0 && w->wd < 0) {
    if (hub_arm(w) < 0) {
      watch_fallback(w);
      return;
    }
    r = pipe_waiting(w->fd);
  }
  if (r == 0) return;
  hub_disarm(w);
  if (r < 0) watch_fallback(w);
  else hub_queue(w);
}
#endif

static void watch_run_cb(fd_watch *w, int status) {
  napi_env env = w->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, arg, result;
  napi_get_reference_value(env, w->cb, &cb);
  napi_get_global(env, &recv);
  napi_create_int32(env, status, &arg);
  w->in_cb = 1;
  if (napi_make_callback(env, w->ctx, recv, cb, 1, &arg, &result) == napi_pending_exception) {
    napi_value err;
    napi_get_and_clear_last_exception(env, &err);
    napi_fatal_exception(env, err);
  }
  w->in_cb = 0;
  napi_close_handle_scope(env, scope);
}

#ifdef __linux__
/* a queued watch's turn: its callback, then (a quiet one still started, not re-queued) re-armed */
static void quiet_fire(fd_watch *w) {
  if (!w->closed && w->cb && w->started) {
    int status = w->status;
    w->status = 0;
    watch_run_cb(w, status);
    if (!w->closed && w->started && !w->polling && w->wd < 0 && !w->pending) quiet_resume(w);
  }
  watch_maybe_free(w);
}

/* The watches queued so far, each once: one queued again by its own turn (a
 * pipe that never empties) waits for the next turn of the loop, as libuv's
 * level-triggered poll would make it, so it cannot keep the loop to itself. */
static void hub_run_pending(void) {
  fd_watch *batch = hub.pending;
  hub.pending = NULL;
  hub.pending_last = NULL;
  for (fd_watch *w = batch; w; w = w->pnext) w->pending = 2;
  while (batch) {
    fd_watch *w = batch;
    batch = w->pnext;
    w->pnext = NULL;
    w->pending = 0;
    quiet_fire(w);
  }
}

static void hub_soon_cb(uv_idle_t *h) {
  hub_run_pending();
  if (!hub.pending) uv_idle_stop(h);
}

static void hub_cb(uv_poll_t *p, int status, int events) {
  (void)p; (void)status; (void)events;
  union { struct inotify_event e; char b[8192]; } u;
  for (;;) {
    ssize_t n = read(hub.fd, u.b, sizeof u.b);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (char *q = u.b; q < u.b + n;) {
      struct inotify_event *e = (struct inotify_event *)q;
      q += sizeof *e + e->len;
      if (e->mask & IN_Q_OVERFLOW) {
        /* events were lost: every armed watch looks at its pipe */
        for (int i = 0; i < HUB_BUCKETS; i++)
          while (hub.buckets[i]) {
            fd_watch *w = hub.buckets[i];
            hub_disarm(w);
            hub_queue(w);
          }
        continue;
      }
      fd_watch *w = hub.buckets[(unsigned)e->wd % HUB_BUCKETS];
      while (w && w->wd != e->wd) w = w->hnext;
      if (!w) continue; /* disarmed meanwhile */
      /* one-shot: the kernel has removed this watch (IN_IGNORED follows) */
      hub_unmap(w);
      hub_queue(w);
    }
    /* room was left for another event: the queue was empty (no read for the EAGAIN) */
    if ((size_t)n <= sizeof u.b - (sizeof(struct inotify_event) + NAME_MAX + 1)) break;
  }
  hub_run_pending();
}

/* A quiet watch that cannot be one becomes libuv's poll watcher; if even
 * that fails, its callback gets the error on the next turn, as libuv
 * reports a poll error. */
static void watch_fallback(fd_watch *w) {
  int r = 0;
  if (!w->polling) {
    /* a quiet watch exists only on the hub's loop */
    r = uv_poll_init(hub.loop, &w->poll, w->fd);
    if (r == 0) {
      w->poll.data = w;
      w->polling = 1;
      w->uv_done = 0;
    }
  }
  if (r == 0 && w->started) r = uv_poll_start(&w->poll, w->events, watch_poll_cb);
  if (r < 0) {
    w->status = r;
    hub_queue(w);
  }
}
#endif

static void watch_release(fd_watch *w) {
  if (w->closed) return;
  w->closed = 1;
#ifdef __linux__
  hub_disarm(w);
  hub_unqueue(w);
#endif
  if (w->polling) uv_close((uv_handle_t *)&w->poll, watch_closed_cb);
  if (w->cb) { napi_delete_reference(w->env, w->cb); w->cb = NULL; }
  if (w->ctx) { napi_async_destroy(w->env, w->ctx); w->ctx = NULL; }
}

static void watch_poll_cb(uv_poll_t *p, int status, int events) {
  (void)events;
  fd_watch *w = p->data;
  if (w->closed || !w->cb) return;
  watch_run_cb(w, status);
}

static fd_watch *watch_of(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  napi_value self;
  void *data = NULL;
  if (napi_get_cb_info(env, info, &argc, NULL, &self, NULL) != napi_ok) return NULL;
  if (napi_unwrap(env, self, &data) != napi_ok) return NULL;
  return data;
}

static napi_value WatchStart(napi_env env, napi_callback_info info) {
  fd_watch *w = watch_of(env, info);
  if (w && !w->closed && !w->started) {
    w->started = 1;
    if (w->polling) {
      int r = uv_poll_start(&w->poll, w->events, watch_poll_cb);
      if (r < 0) {
        w->started = 0;
        return throw_errno(env, "uv_poll_start", -r);
      }
    }
#ifdef __linux__
    /* started from its own callback: quiet_fire resumes it when that returns */
    else if (!w->in_cb) quiet_resume(w);
#endif
  }
  return NULL;
}

static napi_value WatchStop(napi_env env, napi_callback_info info) {
  fd_watch *w = watch_of(env, info);
  if (w && !w->closed && w->started) {
    w->started = 0;
    if (w->polling) uv_poll_stop(&w->poll);
#ifdef __linux__
    hub_disarm(w);
    hub_unqueue(w);
#endif
  }
  return NULL;
}

static napi_value WatchClose(napi_env env, napi_callback_info info) {
  fd_watch *w = watch_of(env, info);
  if (w) watch_release(w);
  return NULL;
}

static void watch_finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  fd_watch *w = data;
  watch_release(w);
  w->js_gone = 1;
  watch_maybe_free(w);
}

static napi_value WatchReadable(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value a[4];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  int32_t fd = -1;
  napi_get_value_int32(env, a[0], &fd);
  bool quiet = false, writable = false;
  if (argc > 2) napi_get_value_bool(env, a[2], &quiet);
  if (argc > 3) napi_get_value_bool(env, a[3], &writable);
  uv_loop_t *loop = NULL;
  CHECK(napi_get_uv_event_loop(env, &loop));
  fd_watch *w = calloc(1, sizeof *w);
  if (!w) return throw_errno(env, "watchReadable", ENOMEM);
  w->env = env;
  w->fd = fd;
  w->events = writable ? UV_WRITABLE : UV_READABLE | UV_DISCONNECT;
  /* the quiet watch's inotify trick tells of writes into a pipe, not of room in it */
  if (writable) quiet = false;
  w->wd = -1;
  w->uv_done = 1;
#ifdef __linux__
  quiet = quiet && hub_ready(loop);
#else
  quiet = false;
#endif
  if (!quiet) {
    int r = uv_poll_init(loop, &w->poll, fd);
    if (r < 0) {
      free(w);
      return throw_errno(env, "uv_poll_init", -r);
    }
    w->poll.data = w;
    w->polling = 1;
    w->uv_done = 0;
  }
  napi_ref *ctor_ref = NULL;
  napi_value ctor, obj, name;
  if (napi_get_instance_data(env, (void **)&ctor_ref) != napi_ok || !ctor_ref ||
      napi_get_reference_value(env, *ctor_ref, &ctor) != napi_ok || napi_new_instance(env, ctor, 0, NULL, &obj) != napi_ok ||
      napi_wrap(env, obj, w, watch_finalize, NULL, NULL) != napi_ok) {
    /* nothing holds w yet but libuv: close the handle, and free w once libuv is done with it */
    w->js_gone = 1;
    watch_release(w);
    watch_maybe_free(w);
    return throw_errno(env, "watchReadable", ENOMEM);
  }
  napi_create_reference(env, a[1], 1, &w->cb);
  napi_create_string_utf8(env, "tsv.watchReadable", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, obj, name, &w->ctx);
  return obj;
}

static napi_value WatchConstruct(napi_env env, napi_callback_info info) {
  napi_value self;
  CHECK(napi_get_cb_info(env, info, NULL, NULL, &self, NULL));
  return self;
}

static void free_ctor_ref(napi_env env, void *data, void *hint) {
  (void)hint;
  napi_delete_reference(env, *(napi_ref *)data);
  free(data);
}

/*
 * The class of watchReadable's objects, defined once: functions made for
 * each object would give every program's pipes six closures, their
 * prototypes and hidden classes (a few KiB each program).
 */
static napi_status define_watch_class(napi_env env) {
  napi_property_descriptor methods[] = {
    {"start", NULL, WatchStart, NULL, NULL, NULL, napi_default, NULL},
    {"stop", NULL, WatchStop, NULL, NULL, NULL, napi_default, NULL},
    {"close", NULL, WatchClose, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_value ctor;
  napi_status st = napi_define_class(env, "ReadableWatch", NAPI_AUTO_LENGTH, WatchConstruct, NULL, 3, methods, &ctor);
  if (st != napi_ok) return st;
  napi_ref *ref = malloc(sizeof *ref);
  if (!ref) return napi_generic_failure;
  st = napi_create_reference(env, ctor, 1, ref);
  if (st != napi_ok) {
    free(ref);
    return st;
  }
  return napi_set_instance_data(env, ref, free_ctor_ref, NULL);
}

/* connectUnix(path): a blocking, close-on-exec stream socket connected to a
 * unix socket, as its fd (src/rpc/blocking-http.ts). Throws with the errno's
 * name as code. */
static napi_value ConnectUnix(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg, out;
  CHECK(napi_get_cb_info(env, info, &argc, &arg, NULL, NULL));
  char *path = get_string(env, arg);
  if (!path) {
    napi_throw_type_error(env, NULL, "connectUnix: the path must be a string");
    return NULL;
  }
  struct sockaddr_un sa;
  int fits = unix_address(&sa, path);
  free(path);
  if (fits < 0) return throw_errno(env, "connect", ENAMETOOLONG);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int r;
  do r = connect(fd, (struct sockaddr *)&sa, sizeof sa); while (r < 0 && errno == EINTR);
  if (r < 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "connect", e);
  }
  CHECK(napi_create_int32(env, fd, &out));
  return out;
}

/* localOffset(epochSeconds) -> seconds east of UTC that the C library's
 * localtime gives (it reads POSIX TZ rules such as IST-5:30, which Node's
 * ICU takes for UTC) */
static napi_value LocalOffset(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg, out;
  CHECK(napi_get_cb_info(env, info, &argc, &arg, NULL, NULL));
  double at = 0;
  napi_get_value_double(env, arg, &at);
  /* A 32-bit time_t (armv7l; 64 bits would need glibc 2.34) ends in 2038:
   * later times are folded back by 28 years, after which the calendar's
   * weekdays and leap years repeat (1901-2099), and so does a POSIX rule. */
  if (sizeof(time_t) == 4)
    while (at > 2147483647.0) at -= 883612800.0;
  time_t t = (time_t)at;
  struct tm tm;
  tzset();
  long off = localtime_r(&t, &tm) ? tm.tm_gmtoff : 0;
  CHECK(napi_create_int32(env, (int32_t)off, &out));
  return out;
}

/* op(fd) for JS: its result, or -errno when it failed */
static napi_value fd_op(napi_env env, napi_callback_info info, int (*op)(int)) {
  size_t argc = 1;
  napi_value arg, out;
  CHECK(napi_get_cb_info(env, info, &argc, &arg, NULL, NULL));
  int32_t fd = -1;
  napi_get_value_int32(env, arg, &fd);
  int c = op(fd);
  CHECK(napi_create_int32(env, c < 0 ? -errno : c, &out));
  return out;
}

/*
 * acceptOn(listenFd) -> a new connection's fd (non-blocking, close-on-exec) or -errno.
 * The daemon accepts its control connections itself rather than through a
 * net.Server: out of descriptors, libuv accepts every waiting connection and
 * closes it at once (its EMFILE trick), where Supervisor leaves them queued
 * until it can serve them (src/daemon/acceptor.ts).
 */
static int accept_connection(int fd) {
  int c;
#ifdef __linux__
  do c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC); while (c < 0 && errno == EINTR);
#else
  do c = accept(fd, NULL, NULL); while (c < 0 && errno == EINTR);
  if (c >= 0 && (fcntl(c, F_SETFD, FD_CLOEXEC) < 0 || fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK) < 0)) {
    int e = errno;
    close(c);
    errno = e;
    c = -1;
  }
#endif
  return c;
}
static napi_value AcceptOn(napi_env env, napi_callback_info info) { return fd_op(env, info, accept_connection); }

/* dupCloexec(fd) -> a close-on-exec copy of fd, or -errno */
static int dup_cloexec(int fd) { return fcntl(fd, F_DUPFD_CLOEXEC, 0); }
static napi_value DupCloexec(napi_env env, napi_callback_info info) { return fd_op(env, info, dup_cloexec); }

/*
 * clockSetWatch() -> fd or -errno; clockWasSet(fd) -> 1, 0 or -errno
 * A timerfd on the wall clock that never rings but is cancelled, and turns
 * readable, each time the clock is set (an NTP step, date -s, a resume from
 * suspend): TFD_TIMER_CANCEL_ON_SET. Node's timers count on the monotonic
 * clock, so a timer for a wall-clock time set before a step forward (a Pi
 * without a real-time clock, corrected by NTP after boot) rang late by the
 * step. clockWasSet drains the fd, arms it again and says whether the clock
 * was set. Nothing wakes the daemon otherwise.
 */
#ifdef __linux__
static int arm_clock_watch(int fd) {
  struct itimerspec at;
  memset(&at, 0, sizeof at);
  /* never reached: 2100-01-01, or 2038 where time_t has 32 bits (armv7l) */
  at.it_value.tv_sec = (time_t)(sizeof(time_t) > 4 ? 4102444800LL : 0x7fffffffLL);
  return timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &at, NULL);
}
#endif

static napi_value ClockSetWatch(napi_env env, napi_callback_info info) {
  (void)info;
  int r;
#ifdef __linux__
  r = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
  if (r >= 0 && arm_clock_watch(r) < 0) {
    int e = errno;
    close(r);
    r = -e;
  } else if (r < 0) {
    r = -errno;
  }
#else
  r = -ENOSYS;
#endif
  napi_value out;
  CHECK(napi_create_int32(env, r, &out));
  return out;
}

static int clock_was_set(int fd) {
#ifdef __linux__
  uint64_t expirations;
  if (read(fd, &expirations, sizeof expirations) >= 0) return arm_clock_watch(fd) < 0 ? -1 : 0;
  if (errno == EAGAIN) return 0;
  if (errno != ECANCELED) return -1;
  return arm_clock_watch(fd) < 0 ? -1 : 1;
#else
  (void)fd;
  errno = ENOSYS;
  return -1;
#endif
}
static napi_value ClockWasSet(napi_env env, napi_callback_info info) { return fd_op(env, info, clock_was_set); }

/*
 * sdNotify(socketPath, message) -> 0 or -errno
 * One datagram of systemd's notify protocol (sd_notify(3)) to NOTIFY_SOCKET:
 * a path, or "@name" in the abstract namespace. Node has no unix datagram
 * sockets. Never blocks: a full queue loses one status line, not the daemon.
 */
static napi_value SdNotify(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value a[2], out;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  char *path = argc == 2 ? get_string(env, a[0]) : NULL;
  char *msg = argc == 2 ? get_string(env, a[1]) : NULL;
  int r = 0;
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  size_t len = path ? strlen(path) : 0;
  if (!path || !msg || len == 0 || len >= sizeof sa.sun_path || (path[0] != '/' && path[0] != '@')) {
    r = -EINVAL;
  } else {
    memcpy(sa.sun_path, path, len);
    /* the abstract namespace: a leading NUL, and the length says where the name ends */
    socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '@' ? 0 : 1));
    if (path[0] == '@') sa.sun_path[0] = '\0';
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      r = -errno;
    } else {
      ssize_t n;
      do n = sendto(fd, msg, strlen(msg), MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
      while (n < 0 && errno == EINTR);
      if (n < 0) r = -errno;
      close(fd);
    }
  }
  free(path);
  free(msg);
  CHECK(napi_create_int32(env, r, &out));
  return out;
}

static napi_value throw_text(napi_env env, const char *text) {
  napi_throw_error(env, NULL, text);
  return NULL;
}

/*
 * fcgiListen({path, mode, uid, gid, backlog} | {host, port, backlog}) -> fd
 * A FastCGI program's socket as Supervisor makes it (datatypes.py
 * create_and_bind, socket_manager.py _prepare_socket): a unix path is
 * unlinked if present, bound, chowned, chmodded, then listened on; a TCP
 * socket gets SO_REUSEADDR. Blocking and close-on-exec, at fd >= 3: only the
 * children ever accept on it (it becomes their fd 0). Failures throw an Error
 * whose message is Python's text for them ("[Errno 98] Address already in use").
 */
static napi_value FcgiListen(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value opts, v;
  CHECK(napi_get_cb_info(env, info, &argc, &opts, NULL, NULL));
  char *path = (v = prop(env, opts, "path")) ? get_string(env, v) : NULL;
  char *host = (v = prop(env, opts, "host")) ? get_string(env, v) : NULL;
  int32_t port = prop_int(env, opts, "port", 0);
  int32_t backlog = prop_int(env, opts, "backlog", SOMAXCONN);
  int32_t mode = prop_int(env, opts, "mode", -1);
  int32_t uid = prop_int(env, opts, "uid", -1);
  int32_t gid = prop_int(env, opts, "gid", -1);
  char msg[1200];
  msg[0] = 0;
  int fd = -1;
#define PYERR(e) snprintf(msg, sizeof msg, "[Errno %d] %s", (e), strerror(e))
  if (path) {
    struct sockaddr_un sa;
    /* os.path.exists: access(F_OK) follows links as stat does (stat needs glibc 2.33) */
    if (access(path, F_OK) == 0) unlink(path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) { PYERR(errno); goto out; }
    if (unix_address(&sa, path) < 0) { snprintf(msg, sizeof msg, "AF_UNIX path too long"); goto fail_unlink; }
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) { PYERR(errno); goto fail_unlink; }
    if ((uid >= 0 || gid >= 0) && chown(path, (uid_t)uid, (gid_t)gid) < 0) {
      int e = errno;
      snprintf(msg, sizeof msg, "Could not change ownership of socket file: [Errno %d] %s: '%s'", e, strerror(e), path);
      goto fail_unlink;
    }
    if (mode >= 0 && chmod(path, (mode_t)mode) < 0) {
      int e = errno;
      snprintf(msg, sizeof msg, "Could not change permissions of socket file: [Errno %d] %s: '%s'", e, strerror(e), path);
      goto fail_unlink;
    }
  } else if (host) {
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(host, NULL, &hints, &res);
    if (g != 0) { snprintf(msg, sizeof msg, "[Errno %d] %s", g, gai_strerror(g)); goto out; }
    struct sockaddr_in sin;
    memcpy(&sin, res->ai_addr, sizeof sin);
    freeaddrinfo(res);
    sin.sin_port = htons((uint16_t)port);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) { PYERR(errno); goto out; }
    int one = 1;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0) { PYERR(errno); goto fail; }
  } else {
    snprintf(msg, sizeof msg, "fcgiListen: path or host is required");
    goto out;
  }
  if (listen(fd, backlog) < 0) { PYERR(errno); goto fail; }
  fd = above_stdio(fd);
  if (fd < 0) PYERR(errno);
  goto out;
fail_unlink:
  if (path && access(path, F_OK) == 0) unlink(path);
fail:
  close(fd);
  fd = -1;
out:
#undef PYERR
  free(path); free(host);
  if (fd < 0) return throw_text(env, msg);
  napi_value r;
  napi_create_int32(env, fd, &r);
  return r;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"spawn", NULL, Spawn, NULL, NULL, NULL, napi_default, NULL},
    {"spawnInherit", NULL, SpawnInherit, NULL, NULL, NULL, napi_default, NULL},
    {"setWindowSize", NULL, SetWindowSize, NULL, NULL, NULL, napi_default, NULL},
    {"outputAsIs", NULL, OutputAsIs, NULL, NULL, NULL, napi_default, NULL},
    {"waitpid", NULL, WaitPid, NULL, NULL, NULL, napi_default, NULL},
    {"peekExited", NULL, PeekExited, NULL, NULL, NULL, napi_default, NULL},
    {"kill", NULL, Kill, NULL, NULL, NULL, napi_default, NULL},
    {"groupsOf", NULL, GroupsOf, NULL, NULL, NULL, napi_default, NULL},
    {"syslog", NULL, Syslog, NULL, NULL, NULL, napi_default, NULL},
    {"getrlimit", NULL, GetRlimit, NULL, NULL, NULL, napi_default, NULL},
    {"setrlimit", NULL, SetRlimit, NULL, NULL, NULL, napi_default, NULL},
    {"closeInherited", NULL, CloseInherited, NULL, NULL, NULL, napi_default, NULL},
    {"trimMemory", NULL, TrimMemory, NULL, NULL, NULL, napi_default, NULL},
    {"becomeSubreaper", NULL, BecomeSubreaper, NULL, NULL, NULL, napi_default, NULL},
    {"setProcessName", NULL, SetProcessName, NULL, NULL, NULL, napi_default, NULL},
    {"coercedCtype", NULL, CoercedCtype, NULL, NULL, NULL, napi_default, NULL},
    {"strerror", NULL, StrError, NULL, NULL, NULL, napi_default, NULL},
    {"devnullStdio", NULL, DevnullStdio, NULL, NULL, NULL, napi_default, NULL},
    {"fcgiListen", NULL, FcgiListen, NULL, NULL, NULL, napi_default, NULL},
    {"connectUnix", NULL, ConnectUnix, NULL, NULL, NULL, napi_default, NULL},
    {"acceptOn", NULL, AcceptOn, NULL, NULL, NULL, napi_default, NULL},
    {"localOffset", NULL, LocalOffset, NULL, NULL, NULL, napi_default, NULL},
    {"dupCloexec", NULL, DupCloexec, NULL, NULL, NULL, napi_default, NULL},
    {"sdNotify", NULL, SdNotify, NULL, NULL, NULL, napi_default, NULL},
    {"clockSetWatch", NULL, ClockSetWatch, NULL, NULL, NULL, napi_default, NULL},
    {"clockWasSet", NULL, ClockWasSet, NULL, NULL, NULL, napi_default, NULL},
    {"spliceToFile", NULL, SpliceToFile, NULL, NULL, NULL, napi_default, NULL},
    {"takeSpare", NULL, TakeSpare, NULL, NULL, NULL, napi_default, NULL},
    {"reserveSpace", NULL, ReserveSpace, NULL, NULL, NULL, napi_default, NULL},
    {"trimSpace", NULL, TrimSpace, NULL, NULL, NULL, napi_default, NULL},
    {"readInto", NULL, ReadInto, NULL, NULL, NULL, napi_default, NULL},
    {"writeFrom", NULL, WriteFrom, NULL, NULL, NULL, napi_default, NULL},
    {"awaitAnswers", NULL, AwaitAnswers, NULL, NULL, NULL, napi_default, NULL},
    {"watchReadable", NULL, WatchReadable, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  if (define_watch_class(env) != napi_ok) {
    napi_throw_error(env, NULL, "tsv_native: cannot define ReadableWatch");
    return NULL;
  }
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
