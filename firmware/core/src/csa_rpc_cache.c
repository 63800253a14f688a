/* The response cache: per client endpoint, CSA_CONFIG_CACHE_DEPTH requests (executing ones are never evicted; the
   oldest answered one goes first, into a history of fingerprints kept CSA_CONFIG_CACHE_HISTORY_MS), for
   CSA_CONFIG_CACHE_CLIENTS clients (the least recently heard from is evicted). Same rules as the SDK's server. */
#include "csa_rpc_cache.h"
#include "csa_wire.h"

#include <string.h>

static bool same_fingerprint_entry(const csa_rpc_cache_entry_t *e, const csa_rpc_call_t *c)
{
    return e->interface_id == c->interface_id && e->command_id == c->command_id && e->payload_len == c->payload_len &&
           e->payload_crc == c->payload_crc;
}

static bool same_fingerprint_tombstone(const csa_rpc_tombstone_t *t, const csa_rpc_call_t *c)
{
    return t->interface_id == c->interface_id && t->command_id == c->command_id && t->payload_len == c->payload_len &&
           t->payload_crc == c->payload_crc;
}

static csa_rpc_cache_client_t *find_client(csa_rpc_server_t *server, uint8_t node, uint8_t port)
{
    unsigned i;
    for (i = 0; i < CSA_CONFIG_CACHE_CLIENTS; i++) {
        csa_rpc_cache_client_t *c = &server->cache[i];
        if (c->used && c->node == node && c->port == port)
            return c;
    }
    return NULL;
}

/* The client's cache, created if new (evicting the least recently heard from), marked as heard from now. */
static csa_rpc_cache_client_t *touch(csa_rpc_server_t *server, uint8_t node, uint8_t port)
{
    csa_rpc_cache_client_t *c = find_client(server, node, port), *victim = NULL;
    unsigned i;
    if (c == NULL) {
        for (i = 0; i < CSA_CONFIG_CACHE_CLIENTS; i++) {
            csa_rpc_cache_client_t *k = &server->cache[i];
            if (!k->used) {
                victim = k;
                break;
            }
            if (victim == NULL || (int32_t)(k->last_heard - victim->last_heard) < 0)
                victim = k;
        }
        memset(victim, 0, sizeof *victim);
        victim->used = true;
        victim->node = node;
        victim->port = port;
        c = victim;
    }
    c->last_heard = ++server->order;
    return c;
}

static csa_rpc_cache_entry_t *find_entry(csa_rpc_cache_client_t *c, uint16_t request_id)
{
    unsigned i;
    for (i = 0; i < CSA_CONFIG_CACHE_DEPTH; i++) {
        if (c->entries[i].state != CSA_CACHE_FREE && c->entries[i].request_id == request_id)
            return &c->entries[i];
    }
    return NULL;
}

static void remember(csa_rpc_server_t *server, csa_rpc_cache_client_t *c, const csa_rpc_cache_entry_t *e)
{
    csa_rpc_tombstone_t *t;
    unsigned i;
    if (CSA_CONFIG_CACHE_HISTORY == 0u)
        return;
    /* One tombstone per id: a newer eviction of the same id replaces the older one. */
    for (i = 0; i < CSA_CONFIG_CACHE_HISTORY; i++) {
        if (c->history[i].used && c->history[i].request_id == e->request_id)
            c->history[i].used = false;
    }
    t = &c->history[c->history_next];
    c->history_next = (uint8_t)((c->history_next + 1u) % CSA_CONFIG_CACHE_HISTORY);
    t->used = true;
    t->request_id = e->request_id;
    t->interface_id = e->interface_id;
    t->command_id = e->command_id;
    t->payload_len = e->payload_len;
    t->payload_crc = e->payload_crc;
    t->evicted_at = server->node->now;
}

/* Evicts the oldest answered entry into the history; false when every entry is executing. */
static bool evict_oldest_answered(csa_rpc_server_t *server, csa_rpc_cache_client_t *c)
{
    csa_rpc_cache_entry_t *oldest = NULL;
    unsigned i;
    for (i = 0; i < CSA_CONFIG_CACHE_DEPTH; i++) {
        csa_rpc_cache_entry_t *e = &c->entries[i];
        if (e->state != CSA_CACHE_STORED && e->state != CSA_CACHE_NOT_STORED)
            continue;
        if (oldest == NULL || (int32_t)(e->order - oldest->order) < 0)
            oldest = e;
    }
    if (oldest == NULL)
        return false;
    remember(server, c, oldest);
    oldest->state = CSA_CACHE_FREE;
    return true;
}

csa_cache_lookup_t csa_cache_begin(csa_rpc_server_t *server, const csa_rpc_call_t *call,
                                   const csa_rpc_cache_entry_t **found)
{
    csa_rpc_cache_client_t *c = touch(server, call->src_node, call->src_port);
    csa_rpc_cache_entry_t *e = find_entry(c, call->request_id);
    unsigned i;
    *found = NULL;
    if (e != NULL) {
        if (same_fingerprint_entry(e, call)) {
            if (e->state == CSA_CACHE_EXECUTING_STATE)
                return CSA_CACHE_EXECUTING;
            if (e->state == CSA_CACHE_STORED) {
                *found = e;
                return CSA_CACHE_ANSWERED;
            }
            /* Answered, but too large to keep: an idempotent command, so it executes again. */
            e->state = CSA_CACHE_EXECUTING_STATE;
            e->order = ++server->order;
            return CSA_CACHE_NEW;
        }
        e->state = CSA_CACHE_FREE; /* same id, other content: an old session of that client reused it */
    } else {
        for (i = 0; i < CSA_CONFIG_CACHE_HISTORY; i++) {
            csa_rpc_tombstone_t *t = &c->history[i];
            if (!t->used || t->request_id != call->request_id)
                continue;
            if (same_fingerprint_tombstone(t, call) &&
                (uint32_t)(server->node->now - t->evicted_at) < CSA_CONFIG_CACHE_HISTORY_MS)
                return CSA_CACHE_STALE;
            t->used = false;
        }
    }
    for (;;) {
        unsigned used = 0;
        csa_rpc_cache_entry_t *free_entry = NULL;
        for (i = 0; i < CSA_CONFIG_CACHE_DEPTH; i++) {
            if (c->entries[i].state == CSA_CACHE_FREE) {
                if (free_entry == NULL)
                    free_entry = &c->entries[i];
            } else {
                used++;
            }
        }
        if (free_entry != NULL) {
            free_entry->state = CSA_CACHE_EXECUTING_STATE;
            free_entry->request_id = call->request_id;
            free_entry->interface_id = call->interface_id;
            free_entry->command_id = call->command_id;
            free_entry->payload_len = call->payload_len;
            free_entry->payload_crc = call->payload_crc;
            free_entry->answer_len = 0;
            free_entry->order = ++server->order;
            return CSA_CACHE_NEW;
        }
        (void)used;
        if (!evict_oldest_answered(server, c))
            return CSA_CACHE_NEW; /* cannot happen: depth > receive buffers; execute uncached rather than refuse */
    }
}

void csa_cache_complete(csa_rpc_server_t *server, const csa_rpc_call_t *call, uint8_t kind, const uint8_t *payload,
                        size_t len, bool forget)
{
    csa_rpc_cache_client_t *c = find_client(server, call->src_node, call->src_port);
    csa_rpc_cache_entry_t *e;
    if (c == NULL)
        return; /* the client's cache was evicted meanwhile: nothing to replay from */
    e = find_entry(c, call->request_id);
    if (e == NULL || !same_fingerprint_entry(e, call))
        return;
    if (forget) {
        e->state = CSA_CACHE_FREE;
        return;
    }
    if (len <= sizeof e->answer) {
        e->state = CSA_CACHE_STORED;
        e->answer_kind = kind;
        e->answer_len = (uint16_t)len;
        if (len > 0u)
            memcpy(e->answer, payload, len);
    } else {
        e->state = CSA_CACHE_NOT_STORED;
    }
}
