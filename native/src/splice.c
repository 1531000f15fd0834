/*
 * Kernel-side TCP forwarding for stream routes: splice(2) through a pipe per direction, so the
 * bytes of a plain tcp / tls_passthrough connection never reach user space.
 *
 * One thread per Node.js environment (a worker process has one) runs one epoll loop for every
 * spliced connection (edge-triggered, EPOLLIN|EPOLLOUT on both sockets; each event pumps both
 * directions until the kernel says EAGAIN: a full pipe stops the reading of its side). JS hands
 * over two sockets' fds (dup'ed here, F_DUPFD_CLOEXEC) once libuv no longer reads or writes them;
 * the loop passes a FIN on (shutdown SHUT_WR once a side's EOF is drained), ends a connection when
 * both directions ended, on an error or reset, after `idleMs` without activity on either socket,
 * or when JS aborts it; it then closes its dups and reports to JS through one threadsafe function:
 * (id, reason, errno, bytes client→upstream, bytes upstream→client).
 *
 * Exports (Linux only; elsewhere none, and JS forwards with `pipe`):
 *   spliceSetup(onDone)                      once per environment
 *   spliceAdd(clientFd, upstreamFd, idleMs)  → id (a number); throws on a failed syscall
 *   spliceAbort(id)                          ends it now (reported with reason 3)
 *   spliceActive()                           connections the loop holds
 * Reasons: 0 both ends closed cleanly, 1 idle timeout, 2 error (errno), 3 aborted.
 */
#ifdef __linux__
#define _GNU_SOURCE
#endif
#include "addon.h"

#ifdef __linux__
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* A pipe of 1 MB moves more per call, for the first BIG_PIPES connections at once; past them the
   kernel's default (64 KB): pipe pages count against the user's pipe-user-pages-soft (64 MB by
   default), and past that limit every new pipe of the user, in any process, gets 2 pages. */
#define BIG_PIPE (1024 * 1024)
#define BIG_PIPES 16
#define CHECK_MS 100

enum { R_CLEAN = 0, R_TIMEOUT = 1, R_ERROR = 2, R_ABORTED = 3 };

struct conn;
typedef struct side {
  struct conn *conn;
  int which; /* 0 client, 1 upstream */
} side_t;

typedef struct dir {
  int pipe[2];
  size_t inpipe;
  size_t cap;   /* the pipe's capacity */
  int eof;      /* the source returned 0 */
  int shut;     /* SHUT_WR sent to the destination */
  uint64_t bytes;
} dir_t;

typedef struct done_msg {
  uint32_t id;
  int reason, err;
  uint64_t c2u, u2c;
} done_msg_t;

typedef struct conn {
  uint32_t id;
  done_msg_t *msg; /* allocated by spliceAdd: the report cannot fail for want of memory */
  int fd[2];
  dir_t d[2]; /* d[0]: client → upstream, d[1]: upstream → client */
  side_t sides[2];
  int64_t last[2];
  int64_t idle_ms;
  int dead;
  int reason;
  int err;
  struct conn *next, *prev;
  struct conn *pending_next;
} conn_t;


typedef struct loop {
  int epfd, evfd;
  pthread_t thread;
  int started;
  napi_threadsafe_function tsfn;
  pthread_mutex_t lock;
  conn_t *pending;        /* added by JS, not yet registered (under lock) */
  uint32_t *aborts;       /* ids to abort (under lock) */
  size_t naborts, capaborts;
  int stopping;           /* under lock */
  conn_t *conns;          /* loop thread only */
  int64_t nconns;         /* loop thread only */
  int64_t active;         /* JS thread only: added minus reported */
  uint32_t next_id;       /* JS thread only */
  volatile int64_t held;  /* for spliceActive: loop's count */
} loop_t;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wake(loop_t *l) {
  uint64_t one = 1;
  ssize_t r;
  do r = write(l->evfd, &one, sizeof one);
  while (r < 0 && errno == EINTR);
}

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void free_conn(conn_t *c) {
  free(c->msg);
  for (int i = 0; i < 2; i++) {
    close_fd(&c->fd[i]);
    close_fd(&c->d[i].pipe[0]);
    close_fd(&c->d[i].pipe[1]);
  }
  free(c);
}

/* Ends a connection (loop thread): out of epoll and the list, fds closed, reported to JS. */
static void finish(loop_t *l, conn_t *c, int reason, int err) {
  if (c->dead) return;
  c->dead = 1;
  c->reason = reason;
  c->err = err;
  for (int i = 0; i < 2; i++) epoll_ctl(l->epfd, EPOLL_CTL_DEL, c->fd[i], NULL);
}

static void report(loop_t *l, conn_t *c) {
  done_msg_t *m = c->msg;
  c->msg = NULL;
  m->id = c->id;
  m->reason = c->reason;
  m->err = c->err;
  m->c2u = c->d[0].bytes;
  m->u2c = c->d[1].bytes;
  /* Refused only once the environment is closing (the queue is unbounded). */
  if (napi_call_threadsafe_function(l->tsfn, m, napi_tsfn_nonblocking) != napi_ok) free(m);
}

/* Moves what it can one way, until the kernel refuses; returns 0, or an errno. */
static int pump_dir(conn_t *c, int k) {
  dir_t *d = &c->d[k];
  int src = c->fd[k], dst = c->fd[1 - k];
  for (;;) {
    int progress = 0;
    if (!d->eof && d->inpipe < d->cap) {
      ssize_t n = splice(src, NULL, d->pipe[1], NULL, d->cap - d->inpipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        d->inpipe += (size_t)n;
        c->last[k] = now_ms();
        progress = 1;
      } else if (n == 0) {
        d->eof = 1;
        progress = 1;
      } else if (errno != EAGAIN && errno != EINTR) {
        return errno;
      }
    }
    if (d->inpipe > 0) {
      ssize_t n = splice(d->pipe[0], NULL, dst, NULL, d->inpipe, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
      if (n > 0) {
        d->inpipe -= (size_t)n;
        d->bytes += (uint64_t)n;
        c->last[1 - k] = now_ms();
        progress = 1;
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return errno;
      }
    }
    if (d->eof && d->inpipe == 0 && !d->shut) {
      d->shut = 1;
      if (shutdown(dst, SHUT_WR) < 0 && errno != ENOTCONN) return errno;
    }
    if (!progress) return 0;
  }
}

static void pump(loop_t *l, conn_t *c) {
  if (c->dead) return;
  for (int k = 0; k < 2; k++) {
    int err = pump_dir(c, k);
    if (err != 0) {
      finish(l, c, R_ERROR, err);
      return;
    }
  }
  if (c->d[0].shut && c->d[1].shut) finish(l, c, R_CLEAN, 0);
}

/* A socket's pending error (a reset seen while nothing was read or written on it), or 0. */
static int socket_error(int fd) {
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) return errno;
  return err;
}

static void unlink_conn(loop_t *l, conn_t *c) {
  if (c->prev != NULL) c->prev->next = c->next;
  else l->conns = c->next;
  if (c->next != NULL) c->next->prev = c->prev;
  l->nconns--;
  __atomic_store_n(&l->held, l->nconns, __ATOMIC_RELAXED);
}

/* Reports and frees every connection marked dead. */
static void reap(loop_t *l) {
  conn_t *c = l->conns;
  while (c != NULL) {
    conn_t *next = c->next;
    if (c->dead) {
      unlink_conn(l, c);
      for (int i = 0; i < 2; i++) close_fd(&c->fd[i]);
      report(l, c);
      free_conn(c);
    }
    c = next;
  }
}

static void *run(void *arg) {
  loop_t *l = arg;
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, NULL);
  struct epoll_event events[256];
  int64_t last_check = now_ms();
  for (;;) {
    int has_idle = 0;
    for (conn_t *c = l->conns; c != NULL && !has_idle; c = c->next) has_idle = c->idle_ms > 0;
    int n = epoll_wait(l->epfd, events, 256, has_idle ? CHECK_MS : -1);
    if (n < 0 && errno != EINTR) break;
    int dirty = 0;
    for (int i = 0; i < n; i++) {
      if (events[i].data.ptr == NULL) {
        uint64_t v;
        ssize_t r = read(l->evfd, &v, sizeof v);
        (void)r;
        continue;
      }
      side_t *s = events[i].data.ptr;
      conn_t *c = s->conn;
      if (c->dead) continue;
      if (events[i].events & EPOLLERR) {
        int err = socket_error(c->fd[s->which]);
        if (err != 0) {
          finish(l, c, R_ERROR, err);
          dirty = 1;
          continue;
        }
      }
      pump(l, c);
      if (c->dead) dirty = 1;
    }
    /* Commands from JS: new connections, aborts, stop. */
    pthread_mutex_lock(&l->lock);
    int stopping = l->stopping;
    conn_t *added = l->pending;
    l->pending = NULL;
    size_t naborts = l->naborts;
    uint32_t *aborts = NULL;
    if (naborts > 0) {
      aborts = malloc(naborts * sizeof *aborts);
      if (aborts != NULL) memcpy(aborts, l->aborts, naborts * sizeof *aborts);
      else naborts = 0;
      l->naborts = 0;
    }
    pthread_mutex_unlock(&l->lock);
    while (added != NULL) {
      conn_t *c = added;
      added = c->pending_next;
      c->next = l->conns;
      c->prev = NULL;
      if (l->conns != NULL) l->conns->prev = c;
      l->conns = c;
      l->nconns++;
      __atomic_store_n(&l->held, l->nconns, __ATOMIC_RELAXED);
      c->last[0] = c->last[1] = now_ms();
      for (int i = 0; i < 2; i++) {
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = &c->sides[i]};
        if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, c->fd[i], &ev) < 0) {
          finish(l, c, R_ERROR, errno);
          break;
        }
      }
      /* Bytes may already wait: the edge came before the registration. */
      pump(l, c);
      dirty = 1;
    }
    for (size_t i = 0; i < naborts; i++) {
      for (conn_t *c = l->conns; c != NULL; c = c->next) {
        if (c->id == aborts[i]) {
          finish(l, c, R_ABORTED, 0);
          dirty = 1;
          break;
        }
      }
    }
    free(aborts);
    int64_t now = now_ms();
    if (now - last_check >= CHECK_MS) {
      last_check = now;
      for (conn_t *c = l->conns; c != NULL; c = c->next) {
        if (c->dead || c->idle_ms <= 0) continue;
        if (now - c->last[0] >= c->idle_ms || now - c->last[1] >= c->idle_ms) {
          finish(l, c, R_TIMEOUT, ETIMEDOUT);
          dirty = 1;
        }
      }
    }
    if (stopping) {
      for (conn_t *c = l->conns; c != NULL; c = c->next) finish(l, c, R_ABORTED, 0);
      dirty = 1;
    }
    if (dirty) reap(l);
    if (stopping) break;
  }
  return NULL;
}

/* JS thread: one report, on the tsfn. */
static void call_js(napi_env env, napi_value cb, void *context, void *data) {
  loop_t *l = context;
  done_msg_t *m = data;
  if (env != NULL && cb != NULL) {
    if (--l->active == 0) napi_unref_threadsafe_function(env, l->tsfn);
    napi_value args[5], global;
    napi_create_uint32(env, m->id, &args[0]);
    napi_create_int32(env, m->reason, &args[1]);
    napi_create_int32(env, m->err, &args[2]);
    napi_create_double(env, (double)m->c2u, &args[3]);
    napi_create_double(env, (double)m->u2c, &args[4]);
    napi_get_global(env, &global);
    napi_call_function(env, global, cb, 5, args, NULL);
  }
  free(m);
}

static void cleanup(void *arg) {
  loop_t *l = arg;
  if (l->started) {
    pthread_mutex_lock(&l->lock);
    l->stopping = 1;
    pthread_mutex_unlock(&l->lock);
    wake(l);
    pthread_join(l->thread, NULL);
  }
  conn_t *c = l->pending;
  while (c != NULL) {
    conn_t *next = c->pending_next;
    free_conn(c);
    c = next;
  }
  if (l->tsfn != NULL) napi_release_threadsafe_function(l->tsfn, napi_tsfn_abort);
  close_fd(&l->epfd);
  close_fd(&l->evfd);
  free(l->aborts);
  pthread_mutex_destroy(&l->lock);
  free(l);
}

static loop_t *the_loop(napi_env env) {
  void *data = NULL;
  if (napi_get_instance_data(env, &data) != napi_ok) return NULL;
  return data;
}

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char message[160];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  char code[32];
  snprintf(code, sizeof code, "E%d", err);
  napi_throw_error(env, code, message);
  return NULL;
}

static napi_value splice_setup(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "spliceSetup(onDone)");
    return NULL;
  }
  if (the_loop(env) != NULL) {
    napi_throw_error(env, NULL, "spliceSetup: already set up");
    return NULL;
  }
  loop_t *l = calloc(1, sizeof *l);
  if (l == NULL) return throw_errno(env, "spliceSetup", ENOMEM);
  l->epfd = l->evfd = -1;
  l->next_id = 1;
  pthread_mutex_init(&l->lock, NULL);
  l->epfd = epoll_create1(EPOLL_CLOEXEC);
  l->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (l->epfd < 0 || l->evfd < 0) {
    int err = errno;
    cleanup(l);
    return throw_errno(env, "spliceSetup: epoll/eventfd", err);
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->evfd, &ev) < 0) {
    int err = errno;
    cleanup(l);
    return throw_errno(env, "spliceSetup: epoll_ctl", err);
  }
  napi_value name;
  napi_create_string_utf8(env, "turnpike splice", NAPI_AUTO_LENGTH, &name);
  if (napi_create_threadsafe_function(env, argv[0], NULL, name, 0, 1, NULL, NULL, l, call_js, &l->tsfn) != napi_ok) {
    l->tsfn = NULL;
    cleanup(l);
    napi_throw_error(env, NULL, "spliceSetup: napi_create_threadsafe_function failed");
    return NULL;
  }
  napi_unref_threadsafe_function(env, l->tsfn);
  if (pthread_create(&l->thread, NULL, run, l) != 0) {
    int err = errno;
    cleanup(l);
    return throw_errno(env, "spliceSetup: pthread_create", err);
  }
  l->started = 1;
  /* Registered after the tsfn: cleanup hooks run last-in first-out, so the thread is joined
     before Node closes the tsfn. */
  napi_add_env_cleanup_hook(env, cleanup, l);
  napi_set_instance_data(env, l, NULL, NULL);
  return NULL;
}

static napi_value splice_add(napi_env env, napi_callback_info info) {
  loop_t *l = the_loop(env);
  if (l == NULL) {
    napi_throw_error(env, NULL, "spliceAdd: spliceSetup first");
    return NULL;
  }
  size_t argc = 3;
  napi_value argv[3];
  int32_t fds[2];
  double idle = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3 ||
      napi_get_value_int32(env, argv[0], &fds[0]) != napi_ok ||
      napi_get_value_int32(env, argv[1], &fds[1]) != napi_ok ||
      napi_get_value_double(env, argv[2], &idle) != napi_ok || fds[0] < 0 || fds[1] < 0) {
    napi_throw_type_error(env, NULL, "spliceAdd(clientFd, upstreamFd, idleMs)");
    return NULL;
  }
  conn_t *c = calloc(1, sizeof *c);
  if (c != NULL) c->msg = malloc(sizeof *c->msg);
  if (c == NULL || c->msg == NULL) {
    free(c);
    return throw_errno(env, "spliceAdd", ENOMEM);
  }
  for (int i = 0; i < 2; i++) {
    c->fd[i] = c->d[i].pipe[0] = c->d[i].pipe[1] = -1;
    c->sides[i].conn = c;
    c->sides[i].which = i;
  }
  for (int i = 0; i < 2; i++) {
    c->fd[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
    if (c->fd[i] < 0 || fcntl(c->fd[i], F_SETFL, fcntl(c->fd[i], F_GETFL) | O_NONBLOCK) < 0 ||
        pipe2(c->d[i].pipe, O_NONBLOCK | O_CLOEXEC) < 0) {
      int err = errno;
      free_conn(c);
      return throw_errno(env, "spliceAdd", err);
    }
    int cap = l->active < BIG_PIPES ? fcntl(c->d[i].pipe[1], F_SETPIPE_SZ, BIG_PIPE) : -1;
    if (cap < 0) cap = fcntl(c->d[i].pipe[1], F_GETPIPE_SZ);
    c->d[i].cap = cap > 0 ? (size_t)cap : 65536;
  }
  c->idle_ms = idle > 0 ? (int64_t)idle : 0;
  /* Read before the hand-over: from then on the loop thread owns c, and may end and free it
     before this function returns. */
  const uint32_t id = c->id = l->next_id++;
  if (l->next_id == 0) l->next_id = 1;
  if (l->active++ == 0) napi_ref_threadsafe_function(env, l->tsfn);
  pthread_mutex_lock(&l->lock);
  c->pending_next = l->pending;
  l->pending = c;
  pthread_mutex_unlock(&l->lock);
  wake(l);
  napi_value result;
  napi_create_uint32(env, id, &result);
  return result;
}

static napi_value splice_abort(napi_env env, napi_callback_info info) {
  loop_t *l = the_loop(env);
  size_t argc = 1;
  napi_value argv[1];
  uint32_t id = 0;
  if (l == NULL || napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_value_uint32(env, argv[0], &id) != napi_ok)
    return NULL;
  pthread_mutex_lock(&l->lock);
  if (l->naborts == l->capaborts) {
    size_t cap = l->capaborts == 0 ? 16 : l->capaborts * 2;
    uint32_t *grown = realloc(l->aborts, cap * sizeof *grown);
    if (grown != NULL) {
      l->aborts = grown;
      l->capaborts = cap;
    }
  }
  if (l->naborts < l->capaborts) l->aborts[l->naborts++] = id;
  pthread_mutex_unlock(&l->lock);
  wake(l);
  return NULL;
}

static napi_value splice_active(napi_env env, napi_callback_info info) {
  (void)info;
  loop_t *l = the_loop(env);
  napi_value result;
  napi_create_double(env, l == NULL ? 0 : (double)__atomic_load_n(&l->held, __ATOMIC_RELAXED), &result);
  return result;
}

napi_status turnpike_splice_init(napi_env env, napi_value exports) {
  if (turnpike_export(env, exports, "spliceSetup", splice_setup) != 0 ||
      turnpike_export(env, exports, "spliceAdd", splice_add) != 0 ||
      turnpike_export(env, exports, "spliceAbort", splice_abort) != 0 ||
      turnpike_export(env, exports, "spliceActive", splice_active) != 0)
    return napi_generic_failure;
  return napi_ok;
}

#else

napi_status turnpike_splice_init(napi_env env, napi_value exports) {
  (void)env;
  (void)exports;
  return napi_ok;
}

#endif
