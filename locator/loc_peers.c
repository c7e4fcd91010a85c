/*  =========================================================================
    loc_peers - the locator pulls the hub registry's records from its peers

    DESIGN
    Anti-entropy by pulling, each locator on its own: every peer is a
    DEALER in the locator's own poll loop (so the registry's database
    stays with one thread), with at most one RegistrySync in flight.

        peer's state    event                       next
        ------------    -----                       ----
        idle            pull due                    asked (send RegistrySync after
                                                    the cursor); down when it cannot
                                                    be sent (not connected)
        asked           RegistryRecords             each record to loc_hubs_apply,
                                                    in order; the cursor moves past
                                                    each one taken or refused, and is
                                                    written down; again at once when
                                                    `more`, else after peer_sync_ms
        asked           its log is ours             self: never asked again
        asked           Error, or no answer in      down; the socket is made anew
                        S_ANSWER_MS                 (no stale request waits in it)

    The cursor is a place in the peer's own log (its seq numbers, named by
    its log id), not a version of anything the DAO signed, so a peer that
    lies about its log can only make us miss or repeat what it sends; the
    records themselves are checked one by one, and one taken twice
    changes nothing. A refused record (a bad signature: counted) is passed
    over for good; a record our database could not write is asked for
    again. A log is never pruned, so records signed before signing keys
    existed (with the DAO's CurveZMQ key) come through here as they were
    made, to locators installed long after: that is why fg_hub_record
    still checks them. The ZeroMQ socket is set to ZMQ_IMMEDIATE: a pull to a peer
    that is down fails at once instead of waiting in a queue.
    =========================================================================  */
#include "fogrid.h"
#include "loc_peers.h"

#define S_ANSWER_MS     5000        //  a pull without an answer by then failed
#define S_PULL_MAX      200         //  records asked for at once

typedef struct {
    char endpoint [300];        //  as configured
    zsock_t *sock;              //  DEALER, NULL until the next pull
    char log_id [33];           //  the peer's log our cursor is in
    uint64_t cursor;            //  the last seq taken from it
    uint64_t seq;               //  of the pull in flight, 0 when none
    int64_t asked_at;           //  when it was sent (mono)
    int64_t next_at;            //  next pull due (mono)
    bool self;                  //  it is this locator
    bool up;                    //  its last pull answered
    bool reported;              //  its being down was logged
    uint32_t failing;           //  pulls failed in a row
    int64_t answered_ms;        //  when a pull last answered (wall clock), 0 never
    uint64_t pulls;             //  answered
    uint64_t failures;          //  not sent, not answered, or answered with an Error
    uint64_t taken;             //  new records it gave us
    uint64_t refused;           //  records refused (bad signature, not the DAO, invalid)
    char error [200];           //  why the last pull failed
} s_peer_t;

struct _loc_peers_t {
    loc_hubs_t *hubs;           //  where records go (not ours)
    zlistx_t *peers;            //  s_peer_t
    char key [41];              //  the peers' public key
    int64_t interval_ms;        //  locator/peer_sync_ms
    int64_t max_message;        //  locator/max_message
    uint64_t seq;               //  of the last pull sent
};

int
loc_peers_check_config (fg_config_t *config, char *err, size_t err_size)
{
    zlist_t *list = fg_split_list (fg_config_str (config, "locator/peers"));
    int rc = 0;
    for (char *peer = (char *) zlist_first (list); peer && !rc; peer = (char *) zlist_next (list)) {
        char transport [16], host [256];
        uint16_t port;
        if (fg_endpoint_parse (peer, transport, sizeof transport, host, sizeof host, &port)
        ||  !streq (transport, "tcp") || strlen (peer) >= 300) {
            snprintf (err, err_size, "locator/peers: '%.100s' is not an endpoint like "
                      "tcp://locator2:7700", peer);
            rc = -1;
        }
    }
    zlist_destroy (&list);
    return rc;
}

static void
s_peer_destroy (s_peer_t **peer_p)
{
    if (*peer_p) {
        zsock_destroy (&(*peer_p)->sock);
        free (*peer_p);
        *peer_p = NULL;
    }
}

loc_peers_t *
loc_peers_new (fg_config_t *config, loc_hubs_t *hubs, char *err, size_t err_size)
{
    if (loc_peers_check_config (config, err, err_size))
        return NULL;
    zlist_t *list = fg_split_list (fg_config_str (config, "locator/peers"));
    if (zlist_size (list) == 0) {
        zlist_destroy (&list);
        snprintf (err, err_size, "no peers");
        return NULL;
    }
    loc_peers_t *self = (loc_peers_t *) zmalloc (sizeof (loc_peers_t));
    self->hubs = hubs;
    self->interval_ms = fg_config_int (config, "locator/peer_sync_ms");
    self->max_message = fg_config_int (config, "locator/max_message");
    //  Locators commonly share one key pair: then ours is theirs
    snprintf (self->key, sizeof self->key, "%s", *fg_security_locator_key ()
              ? fg_security_locator_key (): fg_security_public_key ());
    self->peers = zlistx_new ();
    zlistx_set_destructor (self->peers, (czmq_destructor *) s_peer_destroy);
    int64_t now = zclock_mono ();
    for (char *endpoint = (char *) zlist_first (list); endpoint;
         endpoint = (char *) zlist_next (list)) {
        s_peer_t *peer = (s_peer_t *) zmalloc (sizeof (s_peer_t));
        snprintf (peer->endpoint, sizeof peer->endpoint, "%s", endpoint);
        loc_hubs_cursor_get (hubs, endpoint, peer->log_id, &peer->cursor);
        peer->next_at = now;
        zlistx_add_end (self->peers, peer);
        zsys_info ("locator: pulls the hub registry from %s every %" PRId64 " ms (after record "
                   "%" PRIu64 " of its log)", endpoint, self->interval_ms, peer->cursor);
    }
    zlist_destroy (&list);
    return self;
}

void
loc_peers_destroy (loc_peers_t **self_p)
{
    if (*self_p) {
        loc_peers_t *self = *self_p;
        zlistx_destroy (&self->peers);
        free (self);
        *self_p = NULL;
    }
}

size_t
loc_peers_items (loc_peers_t *self, zmq_pollitem_t *items, size_t max)
{
    size_t count = 0;
    for (s_peer_t *peer = (s_peer_t *) zlistx_first (self->peers); peer && count < max;
         peer = (s_peer_t *) zlistx_next (self->peers))
        if (peer->sock && peer->seq)
            items [count++] = (zmq_pollitem_t) { zsock_resolve (peer->sock), 0, ZMQ_POLLIN, 0 };
    return count;
}

int64_t
loc_peers_timeout (loc_peers_t *self)
{
    int64_t now = zclock_mono (), wait = -1;
    for (s_peer_t *peer = (s_peer_t *) zlistx_first (self->peers); peer;
         peer = (s_peer_t *) zlistx_next (self->peers)) {
        if (peer->self)
            continue;
        int64_t due = peer->seq? peer->asked_at + S_ANSWER_MS: peer->next_at;
        int64_t left = due > now? due - now: 0;
        if (wait < 0 || left < wait)
            wait = left;
    }
    return wait;
}

//  The pull failed: logged once while it stays down, and only from the
//  third failure in a row on (a peer starting with us is still
//  connecting at our first pulls).
static void
s_failed (loc_peers_t *self, s_peer_t *peer, const char *why)
{
    peer->failures++;
    peer->failing++;
    peer->up = false;
    peer->seq = 0;
    peer->next_at = zclock_mono () + self->interval_ms;
    snprintf (peer->error, sizeof peer->error, "%s", why);
    if (!peer->reported && peer->failing >= 3)
        zsys_warning ("locator: cannot pull the hub registry from peer %s: %s (trying again "
                      "every %" PRId64 " ms)", peer->endpoint, why, self->interval_ms);
    peer->reported |= peer->failing >= 3;
}

static void
s_pull (loc_peers_t *self, s_peer_t *peer)
{
    if (!peer->sock) {
        peer->sock = zsock_new (ZMQ_DEALER);
        zsock_set_linger (peer->sock, 0);
        zsock_set_immediate (peer->sock, 1);
        fg_msg_limit (peer->sock, self->max_message);
        if (fg_security_client (peer->sock, self->key)
        ||  zsock_connect (peer->sock, "%s", peer->endpoint)) {
            zsock_destroy (&peer->sock);
            s_failed (self, peer, "no valid endpoint, or no locator key (security/locator_key)");
            return;
        }
    }
    Fogrid__RegistrySync sync = FOGRID__REGISTRY_SYNC__INIT;
    sync.log_id = peer->log_id;
    sync.after = peer->cursor;
    sync.max = S_PULL_MAX;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = ++self->seq;
    env.body_case = FOGRID__ENVELOPE__BODY_REGISTRY_SYNC;
    env.registry_sync = &sync;
    zsock_set_sndtimeo (peer->sock, 0);
    if (fg_msg_send (peer->sock, NULL, &env)) {
        s_failed (self, peer, "not connected (down, unreachable, or another key than "
                              "security/locator_key)");
        return;
    }
    peer->seq = env.seq;
    peer->asked_at = zclock_mono ();
}

//  Takes the records of one answer, in order.
static void
s_take (loc_peers_t *self, s_peer_t *peer, Fogrid__RegistryRecords *records)
{
    if (*records->log_id && streq (records->log_id, loc_hubs_log_id (self->hubs))) {
        zsys_info ("locator: peer %s is this locator: skipped", peer->endpoint);
        peer->self = true;
        peer->error [0] = 0;
        zsock_destroy (&peer->sock);
        return;
    }
    uint64_t cursor = streq (records->log_id, peer->log_id)? peer->cursor: 0;
    if (!streq (records->log_id, peer->log_id) && *peer->log_id)
        zsys_notice ("locator: peer %s has another log than before (%s, was %s): reading it "
                     "from the start", peer->endpoint, records->log_id, peer->log_id);
    char source [320];
    snprintf (source, sizeof source, "peer %s", peer->endpoint);
    bool stopped = false;
    for (size_t index = 0; index < records->n_entries && !stopped; index++) {
        Fogrid__RegistryLogEntry *entry = records->entries [index];
        char why [300] = "";
        bool fresh = false;
        fg_error_t rc = entry->record
                      ? loc_hubs_apply (self->hubs, entry->record, source, &fresh, why, sizeof why)
                      : FG_E_INVALID;
        if (rc == FG_E_INTERNAL) {
            stopped = true;         //  asked for again at the next pull
            break;
        }
        if (rc) {
            peer->refused++;
            zsys_warning ("registry: refused record %" PRIu64 " of peer %s (hub %.63s): %s",
                          entry->seq, peer->endpoint,
                          entry->record? entry->record->hub_id: "?", *why? why: "no record");
        }
        if (fresh)
            peer->taken++;
        cursor = entry->seq;
    }
    if (cursor != peer->cursor || !streq (records->log_id, peer->log_id)) {
        snprintf (peer->log_id, sizeof peer->log_id, "%s", records->log_id);
        peer->cursor = cursor;
        loc_hubs_cursor_set (self->hubs, peer->endpoint, peer->log_id, peer->cursor);
    }
    peer->pulls++;
    peer->failing = 0;
    if (!peer->up && peer->reported)
        zsys_notice ("locator: pulls the hub registry from peer %s again", peer->endpoint);
    peer->up = true;
    peer->reported = false;
    peer->error [0] = 0;
    peer->answered_ms = fg_now_ms ();
    peer->next_at = zclock_mono () + (records->more && !stopped? 0: self->interval_ms);
}

static void
s_receive (loc_peers_t *self, s_peer_t *peer)
{
    while (peer->sock && (zsock_events (peer->sock) & ZMQ_POLLIN)) {
        fg_error_t error;
        uint64_t seq;
        fg_env_t *env = fg_msg_recv (peer->sock, NULL, &error, &seq);
        if (!env) {
            s_failed (self, peer, fg_strerror (error));
            zsock_destroy (&peer->sock);
            return;
        }
        if (env->seq == peer->seq && peer->seq) {
            peer->seq = 0;
            if (env->body_case == FOGRID__ENVELOPE__BODY_REGISTRY_RECORDS)
                s_take (self, peer, env->registry_records);
            else {
                char why [300];
                snprintf (why, sizeof why, "it answered %s%s%.200s", fg_msg_body_name (env),
                          env->body_case == FOGRID__ENVELOPE__BODY_ERROR? ": ": "",
                          env->body_case == FOGRID__ENVELOPE__BODY_ERROR? env->error->text: "");
                s_failed (self, peer, why);
            }
        }
        fg_msg_free (&env);         //  a late answer to an old pull: dropped
    }
}

void
loc_peers_handle (loc_peers_t *self)
{
    int64_t now = zclock_mono ();
    for (s_peer_t *peer = (s_peer_t *) zlistx_first (self->peers); peer;
         peer = (s_peer_t *) zlistx_next (self->peers)) {
        if (peer->self)
            continue;
        if (peer->seq)
            s_receive (self, peer);
        if (peer->seq && now - peer->asked_at >= S_ANSWER_MS) {
            s_failed (self, peer, "no answer in time");
            zsock_destroy (&peer->sock);
        }
        if (!peer->seq && !peer->self && zclock_mono () >= peer->next_at)
            s_pull (self, peer);
    }
}

static const char *
s_state (s_peer_t *peer)
{
    return peer->self? "self": peer->up? "up": peer->pulls || peer->failures? "down": "not yet";
}

json_t *
loc_peers_json (loc_peers_t *self)
{
    json_t *list = json_array ();
    for (s_peer_t *peer = self? (s_peer_t *) zlistx_first (self->peers): NULL; peer;
         peer = (s_peer_t *) zlistx_next (self->peers))
        json_array_append_new (list, json_pack ("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:s}",
            "endpoint", peer->endpoint, "state", s_state (peer), "log_id", peer->log_id,
            "cursor", (json_int_t) peer->cursor, "answered_ms", (json_int_t) peer->answered_ms,
            "pulls", (json_int_t) peer->pulls, "failures", (json_int_t) peer->failures,
            "taken", (json_int_t) peer->taken, "refused", (json_int_t) peer->refused,
            "error", peer->error));
    return list;
}

//  One family, a sample per peer (itself left out).
typedef double (s_peer_value_fn) (s_peer_t *peer, int64_t now_ms);

static void
s_peer_family (loc_peers_t *self, fg_metrics_t *metrics, const char *name, const char *type,
               const char *help, s_peer_value_fn *value)
{
    fg_metrics_family (metrics, name, type, help);
    int64_t now = fg_now_ms ();
    for (s_peer_t *peer = (s_peer_t *) zlistx_first (self->peers); peer;
         peer = (s_peer_t *) zlistx_next (self->peers))
        if (!peer->self)
            fg_metrics_sample (metrics, "peer", peer->endpoint, value (peer, now));
}

static double
s_up_value (s_peer_t *peer, int64_t now_ms)
{
    (void) now_ms;
    return peer->up;
}

static double
s_age_value (s_peer_t *peer, int64_t now_ms)
{
    return peer->answered_ms? (double) (now_ms - peer->answered_ms) / 1000.0: -1;
}

static double
s_failures_value (s_peer_t *peer, int64_t now_ms)
{
    (void) now_ms;
    return (double) peer->failures;
}

static double
s_refused_value (s_peer_t *peer, int64_t now_ms)
{
    (void) now_ms;
    return (double) peer->refused;
}

void
loc_peers_metrics (loc_peers_t *self, fg_metrics_t *metrics)
{
    s_peer_family (self, metrics, "fogrid_locator_registry_peer_up", "gauge",
                   "1 when the last pull of the hub registry from this peer answered", s_up_value);
    s_peer_family (self, metrics, "fogrid_locator_registry_peer_sync_age_seconds", "gauge",
                   "seconds since a pull from this peer last answered (-1: never)", s_age_value);
    s_peer_family (self, metrics, "fogrid_locator_registry_peer_failures_total", "counter",
                   "pulls from this peer that could not be sent or were not answered",
                   s_failures_value);
    s_peer_family (self, metrics, "fogrid_locator_registry_peer_refused_total", "counter",
                   "records from this peer refused (bad signature, not the DAO's, invalid)",
                   s_refused_value);
}
