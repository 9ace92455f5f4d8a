/*
 * log.c - on_log, and the rule that no callback runs under a lock of ours.
 *
 * The header lets on_log call the API (iws_broadcast, iws_conn_peer...),
 * and those take the locks the core may hold where it logs (a connection's
 * lock in a timer, in the TLS input, in the HTTP cycle). So every lock of
 * the core is taken with iws__lock and released with iws__unlock, which
 * count the locks this thread holds; a line logged while the count is not
 * zero is kept, in order, and delivered when the thread releases its last
 * lock. Nothing is kept when on_log is unset or the level is filtered out.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define LINE_MAX_LEN 512

typedef struct held_line {
  struct held_line *next;
  iws_server *server;
  int level;
  char text[LINE_MAX_LEN];
} held_line;

IWS_THREAD_LOCAL uint32_t iws__t_locks_held;
IWS_THREAD_LOCAL void *iws__t_held_lines; /* held_line list, oldest first */
#ifndef NDEBUG
IWS_THREAD_LOCAL const iws__conn *iws__t_conn_held;
#endif
static IWS_THREAD_LOCAL held_line *held_tail;

static void deliver(iws_server *s, int level, const char *line) {
  IWS__IN_CALLBACK(s, s->cb.on_log(s, level, line, s->user));
}

void iws__log_deliver_held(void) {
  /* on_log may log again (directly now: no lock is held) or take a lock
   * and log under it (kept again, delivered at its unlock). */
  while (iws__t_held_lines && iws__t_locks_held == 0) {
    held_line *h = iws__t_held_lines;
    iws__t_held_lines = h->next;
    if (!h->next) held_tail = NULL;
    deliver(h->server, h->level, h->text);
    free(h);
  }
}

int iws__log_wants(const iws_server *s, int level) {
  return s->cb.on_log && level <= (int)s->opt.ints[IWS_OPT_LOG_LEVEL];
}

static void vlog(iws_server *s, int level, const char *fmt, va_list ap) {
  char line[LINE_MAX_LEN];
  held_line *h;
  if (!iws__log_wants(s, level)) return;
  if (iws__t_locks_held == 0) {
    vsnprintf(line, sizeof(line), fmt, ap);
    deliver(s, level, line);
    return;
  }
  h = malloc(sizeof(*h));
  if (!h) return; /* out of memory: the line is lost, nothing else */
  vsnprintf(h->text, sizeof(h->text), fmt, ap);
  h->server = s;
  h->level = level;
  h->next = NULL;
  if (held_tail)
    held_tail->next = h;
  else
    iws__t_held_lines = h;
  held_tail = h;
}

void iws__log(iws_server *s, int level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(s, level, fmt, ap);
  va_end(ap);
}

void iws__core_log(iws_server *s, int level, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vlog(s, level, fmt, ap);
  va_end(ap);
}
