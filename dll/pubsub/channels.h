/*
 * channels.h - channel subscriptions inside one server (channels.c) and the
 * Redis link that carries publishes between servers (redis.c, built only
 * with hiredis). Not part of the ABI.
 *
 * Locks: the server's chan_lock is a leaf. Nothing else is locked while it
 * is held (connection references are taken with atomics only), and no
 * callback runs under it. A publish copies its receivers under the lock,
 * drops it, then queues the frame to each.
 */
#ifndef IWS_CHANNELS_H
#define IWS_CHANNELS_H

#include <stddef.h>
#include <stdint.h>

#include "iocpws.h"
#include "../core/core.h"

typedef struct iws__conn iws__conn;
typedef struct iws__chan iws__chan;
typedef struct iws__sub iws__sub;
typedef struct iws__redis iws__redis;

#define IWS__CHANNEL_MAX 255

/* IWS_OK or IWS_E_CHANNEL_NAME / IWS_E_INVALID_ARG (NULL). */
int32_t iws__channel_name_check(const char *name, size_t *len);

void iws__channels_init(iws_server *s);
void iws__channels_free(iws_server *s); /* at destroy: nothing is left */

int32_t iws__chan_subscribe(iws__conn *c, const char *name, size_t len);
int32_t iws__chan_unsubscribe(iws__conn *c, const char *name, size_t len);
/* The connection leaves every channel and refuses new subscriptions. */
void iws__chan_conn_gone(iws__conn *c);
/* "a\nb\n" in join order; malloc'd, NULL on OOM. */
char *iws__chan_list(iws__conn *c, size_t *len);


/* ---- Redis (redis.c; stubs when built without hiredis) ---- */

/* Non-zero if this build can talk to Redis. */
int iws__redis_available(void);
/* At iws_start with a non-empty URL: starts the link threads (they connect
 * in the background) and sets s->redis; the previous s->redis (stopped) is
 * kept with the new one and freed with it. IWS_E_OPTION_RANGE for a URL
 * that cannot be parsed (err gets why), IWS_E_THREAD, IWS_E_NOMEM; s->redis
 * is then unchanged. */
int32_t iws__redis_start(iws_server *s, const char *url, const char *prefix,
                         uint64_t reconnect_max_ms, char *err, size_t errlen);
/* Queues a publish for the other servers (never blocks on Redis). */
void iws__redis_publish(iws__redis *r, const char *name, size_t len,
                        uint32_t opcode, const void *data, size_t dlen);
/* At iws_stop, before the connections close: ends the threads; later
 * publishes to r are dropped. NULL is fine. */
void iws__redis_stop(iws__redis *r);
/* Frees a link and the earlier ones it keeps (at iws_destroy only, so that
 * a publish racing with iws_stop never touches freed memory). NULL is
 * fine. */
void iws__redis_free(iws__redis *r);
/* The hiredis version built against ("1.1.0"), NULL without hiredis
 * (iws_component_version). */
const char *iws__redis_client_version(void);

/* Channel delivery to this server's subscribers, compressed like a
 * broadcast (pubsub/channels.c). */
int32_t iws__publish_local(iws_server *s, const char *channel, size_t len,
                           uint32_t opcode, const void *data, size_t dlen,
                           const iws_conn_id *exclude, uint32_t exclude_count,
                           uint32_t *sent);

#endif /* IWS_CHANNELS_H */
