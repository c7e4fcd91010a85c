/*  =========================================================================
    fuzz_loc_server - libFuzzer target for the locator's server

    The real locator: the loc_server actor, started once per process on
    loopback (CurveZMQ on, DNS and HTTP off, data in a temporary
    directory, small limits: 4 owners, 3 registrations each, 6 watches,
    TTLs and leases of seconds), talked to over DEALERs as hubs, miners,
    buyers and the DAO's command line would. Eight peers, each its own
    key: 0..3 in locator/register_keys, 0 and 4 in locator/admin_keys
    (each peer has a signing key too: 0's and 4's are the DAO's, as
    NAME.sign files in the directory admin_keys names), 5..7 in neither. Each message is [op][length][bytes]: op's low three
    bits name the peer, its high five bits how far the clock moves first
    (fg_clock_advance: 0, 250 ms, ..., 7.5 s; the last step an hour), so
    owners and watches expire. Bytes that do not decode go as they are
    (the locator must refuse them once, with the error our decoder
    gives); an envelope that decodes goes encoded again with a seq of
    ours (so replies and watch notices are told apart) and with what the
    fuzzer cannot guess filled in: a one-character owner is one of owner-0..3 (so the peers'
    owners collide), service name one of svc-0..2, hub id one of
    hub-0..2, hub key a peer's public key, ledger key one of two, log id
    the locator's; a RegistrySet's at_ms below 2^20 counts from 2^19 ms
    ago, and its one-character signer names the peer whose signing key
    signs it (0 and 4 sign as the DAO).

    After each message a LocList on the same connection (its reply comes
    after the message's) proves the locator handled it, and the pipe's
    STATS asked twice that its expiry ran (a loop turn per pipe command,
    expiry at its end). The target keeps its own model of what the
    locator holds: who holds each owner, what it registered, when it may
    and when it must have expired (its clock is read before a request
    goes and after its answer comes, so the model is certain except close
    to an expiry), the watches, and the hub registry's records. What must
    hold, at every message or after each input:

      - a key outside register_keys never registers; an owner one key
        holds is refused (DENIED) to every other key for register,
        heartbeat and unregister, and never to its holder; a heartbeat
        finds exactly the owners alive; Ok, nothing, NOT_FOUND or DENIED
        as the protocol table in loc_server.c says, names and policies
        refused as INVALID exactly when they are bad;
      - resolve and watch answers are paged as asked, and list only
        endpoints their owners registered (never one another key tried
        to put under an owner), all of those of an owner alive, each
        with its owner's last heartbeat's load; LocList and STATS counts
        lie between what is certainly held and what may be, and within
        the limits; a watch is refused for the limit only at the limit;
      - every message a peer gets answers its request or is a notice of
        one of its own watches (LocEndpoints, LocDone or NOT_FOUND with
        that watch's current seq and name; after its lease ends, only
        until the reply to a later request on that connection), and once
        every change is flushed, each live watch's last notice lists what
        a resolve of its name lists;
      - the hub registry takes a change only when the DAO signed it,
        never refuses one the DAO signed as DENIED, answers each hub as
        the last-writer-wins merge of the records it took (the table in
        loc_hubs.c), lets no key name two hubs, and keeps each record
        once in its log, which verifies.

    Every 128 inputs the locator restarts: on its own data (the registry,
    its log and the log's id must come back as they were) or, every
    other time, on new data. A message that makes the locator crash,
    hang (30 s) or break a rule above is the finding; state carries over
    between inputs, so a finding may need the inputs before it.
    FUZZ_LOG=1 in the environment keeps the locator's log (on stderr).
    =========================================================================  */
#include "fogrid.h"
#include "loc_registry.h"
#include "loc_server.h"
#include "fg_hub_record.h"
#include "fuzz_daemon.h"
#include <sodium.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define S_PEERS         8
#define S_REGISTERING   4       //  peers 0..3 are in register_keys
#define S_READER        5       //  the peer the checks ask with
#define S_OWNERS        4       //  owner-0..3
#define S_NAMES         3       //  svc-0..2
#define S_HUBS          3       //  hub-0..2
#define S_RESTART_EVERY 128     //  inputs between restarts
#define S_WAIT_MS       30000   //  a locator that does not answer in this is hung
#define S_BARRIER       (1ULL << 62)
#define S_OURS          (1ULL << 61)
#define S_REGS          16      //  registrations the model keeps per owner
#define S_WATCH_SLOTS   16      //  watches the model keeps per peer
#define S_ORDER_SIZE    160     //  a record's order, as loc_hubs.c makes it

//  The locator's limits
#define S_TTL_MS        1000
#define S_MAX_TTL_MS    4000
#define S_PER_OWNER     3
#define S_MAX_OWNERS    4
#define S_MAX_WATCHES   6
#define S_MAX_LEASE_MS  5000
#define S_PAGE_SIZE     2

//  --------------------------------------------------------------------------
//  The model

typedef enum { S_ABSENT, S_PRESENT, S_UNSURE } s_presence_t;

typedef struct {
    char name [64];
    char host [256];
    uint32_t port;
    bool sure;                  //  held for certain while its owner is
} s_reg_t;

typedef struct {
    char id [64];
    int holder;                 //  the peer whose register it took last
    s_presence_t presence;      //  PRESENT: for certain until live_until
    int64_t live_until;         //  its expiry is no earlier than this
    int64_t gone_by;            //  and no later than this
    uint32_t ttl_ms;            //  of its last registration
    int load;                   //  of its last heartbeat, -1 unknown
    s_reg_t regs [S_REGS];      //  what it may hold (all it holds)
    size_t n_regs;
    bool lost;                  //  some were dropped: regs is not all it may hold
} s_owner_t;

typedef struct {
    bool used;
    bool ended;                 //  its lease has ended: notices sent before may come
    char name [64];
    uint64_t seq;               //  of the LocWatch that set it up last
    int64_t live_until;         //  its lease ends no earlier than this
    int64_t gone_by;            //  and no later than this
    zlistx_t *view;             //  "owner host port" of its last answer or notice
    zlistx_t *building;         //  of the notice coming in
    uint32_t pages;             //  pages of it so far
} s_watch_t;

typedef struct {
    zsock_t *sock;              //  DEALER to the locator
    zcert_t *cert;              //  its key pair
    s_watch_t watches [S_WATCH_SLOTS];
} s_peer_t;

//  A hub's row as the merge of the records taken makes it
typedef struct {
    char id [64];
    char status [16];
    char reason [256];
    char updated_by [FG_SIGNKEY_HEX];
    int64_t updated_ms;
    int64_t created_ms;
    char hub_key [41];
    char ledger_key [65];
    int64_t stake;
    char status_at [S_ORDER_SIZE];
    char hub_key_at [S_ORDER_SIZE];
    char ledger_key_at [S_ORDER_SIZE];
    char stake_at [S_ORDER_SIZE];
} s_hub_t;

//  One request on its way: its replies, and when it went and came back
typedef struct {
    int index;                  //  the peer's
    uint64_t seq;               //  ours, 0 for raw bytes
    zlistx_t *replies;          //  fg_env_t with its seq (or the raw's Error)
    fg_env_t *listing;          //  the barrier's LocServices
    int64_t sent_ms;            //  clock before it went
    int64_t answered_ms;        //  clock after the barrier came back
} s_exchange_t;

static char s_root [256];       //  the process's temporary directory
static char s_dir [300];        //  the locator's data directory
static fg_config_t *s_config;
static zactor_t *s_locator;
static s_peer_t s_peers [S_PEERS];
static zcert_t *s_certs [S_PEERS];
static fg_signkey_t *s_sign_keys [S_PEERS];
static char s_ledger_keys [2][65];
static zhashx_t *s_owners;      //  id -> s_owner_t
static zhashx_t *s_hubs;        //  hub id -> s_hub_t
static zhashx_t *s_records;     //  ids of the records taken
static char s_log_id [33];      //  the registry's log, "" until known
static uint64_t s_seq;
static unsigned s_inputs;       //  since the locator started
static unsigned s_starts;

static void
s_free (void **item_p)
{
    free (*item_p);
    *item_p = NULL;
}

static bool
s_is_admin (int index)
{
    return index == 0 || index == 4;
}

//  --------------------------------------------------------------------------
//  Owners

static s_owner_t *
s_owner_find (const char *id)
{
    return id? (s_owner_t *) zhashx_lookup (s_owners, id): NULL;
}

static s_presence_t
s_presence (s_owner_t *owner, int64_t now)
{
    if (!owner || owner->presence == S_ABSENT)
        return S_ABSENT;
    if (owner->presence == S_PRESENT && now < owner->live_until)
        return S_PRESENT;
    return S_UNSURE;
}

static void
s_owner_gone (s_owner_t *owner)
{
    zhashx_delete (s_owners, owner->id);
}

static size_t
s_owner_count (s_owner_t *owner, const char *name, const char *host, uint32_t port,
               bool sure_only)
{
    size_t count = 0;
    for (size_t index = 0; index < owner->n_regs; index++) {
        s_reg_t *reg = &owner->regs [index];
        if ((!sure_only || reg->sure) && streq (reg->name, name)
        &&  (!host || (streq (reg->host, host) && reg->port == port)))
            count++;
    }
    return count;
}

static size_t
s_owner_sure (s_owner_t *owner)
{
    size_t count = 0;
    for (size_t index = 0; index < owner->n_regs; index++)
        count += owner->regs [index].sure;
    return count;
}

//  Removes owner's registrations of name (all when name is empty).
static void
s_owner_remove (s_owner_t *owner, const char *name)
{
    size_t kept = 0;
    for (size_t index = 0; index < owner->n_regs; index++)
        if (*name && !streq (owner->regs [index].name, name))
            owner->regs [kept++] = owner->regs [index];
    owner->n_regs = kept;
}

static void
s_owner_add (s_owner_t *owner, const Fogrid__Registration *reg)
{
    if (owner->n_regs == S_REGS) {
        //  Room at the cost of what may be held: the oldest unsure one
        size_t index = 0;
        while (index < S_REGS && owner->regs [index].sure)
            index++;
        if (index == S_REGS)
            fuzz_fail ("owner %s: the model holds %d certain registrations", owner->id, S_REGS);
        memmove (&owner->regs [index], &owner->regs [index + 1],
                 (S_REGS - index - 1) * sizeof (s_reg_t));
        owner->n_regs--;
        owner->lost = true;
    }
    s_reg_t *slot = &owner->regs [owner->n_regs++];
    snprintf (slot->name, sizeof slot->name, "%s", reg->name);
    snprintf (slot->host, sizeof slot->host, "%s", reg->endpoint->host);
    slot->port = reg->endpoint->port;
    slot->sure = true;
}

//  What the owners hold of name (all names when NULL) at now: at least
//  *low (the certain ones of the owners certainly alive), at most *high
//  (false when the model lost count).
static bool
s_bounds (const char *name, int64_t now, size_t *low, size_t *high)
{
    bool bounded = true;
    *low = *high = 0;
    for (s_owner_t *owner = (s_owner_t *) zhashx_first (s_owners); owner;
         owner = (s_owner_t *) zhashx_next (s_owners)) {
        s_presence_t presence = s_presence (owner, now);
        for (size_t index = 0; index < owner->n_regs; index++) {
            s_reg_t *reg = &owner->regs [index];
            if (name && !streq (reg->name, name))
                continue;
            if (presence == S_PRESENT && reg->sure)
                (*low)++;
            if (presence != S_ABSENT)
                (*high)++;
        }
        if (presence != S_ABSENT && owner->lost)
            bounded = false;
    }
    return bounded;
}

//  --------------------------------------------------------------------------
//  Watches

static s_watch_t *
s_watch_find (s_peer_t *peer, const char *name, uint64_t seq)
{
    for (int index = 0; index < S_WATCH_SLOTS; index++) {
        s_watch_t *watch = &peer->watches [index];
        if (watch->used && (name? !watch->ended && streq (watch->name, name)
                                : watch->seq == seq))
            return watch;
    }
    return NULL;
}

static void
s_watch_end (s_watch_t *watch)
{
    zlistx_destroy (&watch->view);
    zlistx_destroy (&watch->building);
    memset (watch, 0, sizeof *watch);
}

static zlistx_t *
s_strings (void)
{
    zlistx_t *list = zlistx_new ();
    zlistx_set_destructor (list, (czmq_destructor *) zstr_free);
    zlistx_set_comparator (list, (czmq_comparator *) strcmp);
    return list;
}

static s_watch_t *
s_watch_new (s_peer_t *peer, const char *name)
{
    for (int index = 0; index < S_WATCH_SLOTS; index++) {
        s_watch_t *watch = &peer->watches [index];
        if (!watch->used) {
            watch->used = true;
            snprintf (watch->name, sizeof watch->name, "%s", name);
            watch->view = s_strings ();
            watch->building = s_strings ();
            return watch;
        }
    }
    fuzz_fail ("the model holds %d watches of one peer; the locator takes %d", S_WATCH_SLOTS,
               S_MAX_WATCHES);
    return NULL;
}

static size_t
s_watches (int64_t now, bool certain)
{
    size_t count = 0;
    for (int index = 0; index < S_PEERS; index++)
        for (int slot = 0; slot < S_WATCH_SLOTS; slot++) {
            s_watch_t *watch = &s_peers [index].watches [slot];
            count += watch->used && !watch->ended && (!certain || now < watch->live_until);
        }
    return count;
}

static bool
s_same (zlistx_t *a, zlistx_t *b)
{
    if (zlistx_size (a) != zlistx_size (b))
        return false;
    for (char *x = (char *) zlistx_first (a), *y = (char *) zlistx_first (b); x && y;
         x = (char *) zlistx_next (a), y = (char *) zlistx_next (b))
        if (!streq (x, y))
            return false;
    return true;
}

static void
s_print (const char *what, zlistx_t *list)
{
    fprintf (stderr, "  %s:", what);
    for (char *item = (char *) zlistx_first (list); item; item = (char *) zlistx_next (list))
        fprintf (stderr, " [%s]", item);
    fprintf (stderr, "\n");
}

//  --------------------------------------------------------------------------
//  Answers to a resolve or a watch: pages, then LocDone; or NOT_FOUND

typedef struct {
    zlistx_t *shown;            //  "owner host port", sorted at the end
    uint32_t pages;
    uint32_t last_page;         //  endpoints in the last page
    bool done;                  //  LocDone came
    bool none;                  //  NOT_FOUND came
} s_answer_t;

//  Takes one message of an answer about name into answer; fails on what
//  an answer may not hold. True when the answer is complete.
static bool
s_answer_take (s_answer_t *answer, const char *name, uint32_t page_size, fg_env_t *env,
               const char *who)
{
    if (answer->done || answer->none)
        fuzz_fail ("%s: %s after the answer about %s was complete", who, fg_msg_body_name (env),
                   name);
    if (env->body_case == FOGRID__ENVELOPE__BODY_LOC_ENDPOINTS) {
        Fogrid__LocEndpoints *page = env->loc_endpoints;
        if (!streq (page->name, name) || page->page != answer->pages)
            fuzz_fail ("%s: page %u of '%s' where page %u of %s was due", who, page->page,
                       page->name, answer->pages, name);
        if (page->n_endpoints == 0 || page->n_endpoints > page_size
        ||  (answer->pages && answer->last_page != page_size))
            fuzz_fail ("%s: %zu endpoints in page %u of %s (pages of %u)", who,
                       page->n_endpoints, page->page, name, page_size);
        for (size_t index = 0; index < page->n_endpoints; index++) {
            Fogrid__Endpoint *endpoint = page->endpoints [index];
            if (!*endpoint->owner || endpoint->load > 100)
                fuzz_fail ("%s: an endpoint of %s without an owner, or loaded %u", who, name,
                           endpoint->load);
            zlistx_add_end (answer->shown, zsys_sprintf ("%s %s %u", endpoint->owner,
                                                         endpoint->host, endpoint->port));
        }
        answer->pages++;
        answer->last_page = (uint32_t) page->n_endpoints;
        return false;
    }
    if (env->body_case == FOGRID__ENVELOPE__BODY_LOC_DONE) {
        Fogrid__LocDone *done = env->loc_done;
        if (!streq (done->name, name) || done->pages != answer->pages || answer->pages == 0
        ||  done->total != zlistx_size (answer->shown))
            fuzz_fail ("%s: LocDone of '%s' says %u endpoints in %u pages; %zu came in %u (%s)",
                       who, done->name, done->total, done->pages, zlistx_size (answer->shown),
                       answer->pages, name);
        zlistx_sort (answer->shown);
        answer->done = true;
        return true;
    }
    if (env->body_case == FOGRID__ENVELOPE__BODY_ERROR
    &&  env->error->code == FG_E_NOT_FOUND && answer->pages == 0) {
        answer->none = true;
        return true;
    }
    fuzz_fail ("%s: %s (%s) in an answer about %s", who, fg_msg_body_name (env),
               env->body_case == FOGRID__ENVELOPE__BODY_ERROR? env->error->text: "", name);
    return false;
}

static size_t
s_count_shown (zlistx_t *shown, const char *item)
{
    size_t count = 0;
    for (char *other = (char *) zlistx_first (shown); other; other = (char *) zlistx_next (shown))
        count += streq (other, item);
    return count;
}

//  Checks an answer about name that came back at now against the model:
//  only what owners registered, all of what an alive owner holds, the
//  owner's load. pages are its messages (for the loads).
static void
s_answer_check (s_answer_t *answer, const char *name, zlistx_t *pages, int64_t now,
                const char *who)
{
    for (fg_env_t *env = (fg_env_t *) zlistx_first (pages); env;
         env = (fg_env_t *) zlistx_next (pages)) {
        if (env->body_case != FOGRID__ENVELOPE__BODY_LOC_ENDPOINTS)
            continue;
        for (size_t index = 0; index < env->loc_endpoints->n_endpoints; index++) {
            Fogrid__Endpoint *endpoint = env->loc_endpoints->endpoints [index];
            s_owner_t *owner = s_owner_find (endpoint->owner);
            if (s_presence (owner, now) == S_ABSENT)
                fuzz_fail ("%s: %s lists %s:%u of owner %s, which holds nothing", who, name,
                           endpoint->host, endpoint->port, endpoint->owner);
            char item [400];
            snprintf (item, sizeof item, "%s %s %u", endpoint->owner, endpoint->host,
                      endpoint->port);
            if (!owner->lost && s_count_shown (answer->shown, item)
                                > s_owner_count (owner, name, endpoint->host, endpoint->port,
                                                 false))
                fuzz_fail ("%s: %s lists %s:%u under owner %s (held by peer %d), which it "
                           "did not register", who, name, endpoint->host, endpoint->port,
                           endpoint->owner, owner->holder);
            if (owner->load >= 0 && endpoint->load != (uint32_t) owner->load)
                fuzz_fail ("%s: %s lists owner %s with load %u, its heartbeat said %d", who,
                           name, endpoint->owner, endpoint->load, owner->load);
        }
    }
    for (s_owner_t *owner = (s_owner_t *) zhashx_first (s_owners); owner;
         owner = (s_owner_t *) zhashx_next (s_owners)) {
        //  An owner that shows one endpoint is alive: it shows all it holds
        bool alive = s_presence (owner, now) == S_PRESENT;
        char prefix [80];
        snprintf (prefix, sizeof prefix, "%s ", owner->id);
        for (char *item = (char *) zlistx_first (answer->shown); item && !alive;
             item = (char *) zlistx_next (answer->shown))
            alive = strncmp (item, prefix, strlen (prefix)) == 0;
        for (size_t index = 0; alive && index < owner->n_regs; index++) {
            s_reg_t *reg = &owner->regs [index];
            if (!reg->sure || !streq (reg->name, name))
                continue;
            char item [400];
            snprintf (item, sizeof item, "%s %s %u", owner->id, reg->host, reg->port);
            if (s_count_shown (answer->shown, item)
                < s_owner_count (owner, name, reg->host, reg->port, true))
                fuzz_fail ("%s: %s does not list %s:%u of owner %s (peer %d's), which is "
                           "alive", who, name, reg->host, reg->port, owner->id, owner->holder);
        }
    }
}

//  --------------------------------------------------------------------------
//  Talking to the locator

static void
s_send (s_peer_t *peer, fg_env_t *env)
{
    if (fg_msg_send (peer->sock, NULL, env))
        fuzz_fail ("cannot send to the locator: %s", zmq_strerror (zmq_errno ()));
}

//  Sends a LocList with a barrier's seq; returns the seq.
static uint64_t
s_barrier (s_peer_t *peer)
{
    Fogrid__LocList list = FOGRID__LOC_LIST__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = S_BARRIER | ++s_seq;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_LIST;
    env.loc_list = &list;
    s_send (peer, &env);
    return env.seq;
}

static fg_env_t *
s_recv (s_peer_t *peer)
{
    int64_t deadline = zclock_mono () + S_WAIT_MS;
    while (true) {
        zmq_pollitem_t item = { zsock_resolve (peer->sock), 0, ZMQ_POLLIN, 0 };
        int64_t left = deadline - zclock_mono ();
        if (left <= 0)
            fuzz_fail ("the locator did not answer in %d ms", S_WAIT_MS);
        if (zmq_poll (&item, 1, (long) left) <= 0)
            continue;
        fg_error_t error;
        fg_env_t *env = fg_msg_recv (peer->sock, NULL, &error, NULL);
        if (!env)
            fuzz_fail ("the locator sent a message that does not decode: %s",
                       fg_strerror (error));
        return env;
    }
}

//  A message that answers none of the peer's requests: it must be a
//  notice of one of its watches.
static void
s_notice (s_peer_t *peer, fg_env_t *env)
{
    int index = (int) (peer - s_peers);
    s_watch_t *watch = s_watch_find (peer, NULL, env->seq);
    if (!watch)
        fuzz_fail ("peer %d got %s (seq %" PRIx64 "%s%s), which answers nothing it asked and "
                   "no watch of its own", index, fg_msg_body_name (env), env->seq,
                   env->body_case == FOGRID__ENVELOPE__BODY_ERROR? ": ": "",
                   env->body_case == FOGRID__ENVELOPE__BODY_ERROR? env->error->text: "");
    s_answer_t answer = { .shown = watch->building, .pages = watch->pages,
                          .last_page = S_PAGE_SIZE };
    char who [64];
    snprintf (who, sizeof who, "a notice to peer %d", index);
    if (s_answer_take (&answer, watch->name, S_PAGE_SIZE, env, who)) {
        zlistx_destroy (&watch->view);
        watch->view = watch->building;
        watch->building = s_strings ();
        watch->pages = 0;
        if (answer.none)
            zlistx_purge (watch->view);
    }
    else
        watch->pages = answer.pages;
}

//  Reads what has come on every connection, without waiting.
static void
s_drain (void)
{
    for (int index = 0; index < S_PEERS; index++) {
        s_peer_t *peer = &s_peers [index];
        while (zsock_events (peer->sock) & ZMQ_POLLIN) {
            fg_env_t *env = s_recv (peer);
            s_notice (peer, env);
            fg_msg_free (&env);
        }
    }
}

//  After a request went: sends the barrier, keeps the request's replies
//  (or, for raw bytes, the one Error refusing them) and the barrier's
//  listing; what else comes are notices.
static void
s_exchange (s_exchange_t *exchange)
{
    s_peer_t *peer = &s_peers [exchange->index];
    uint64_t barrier = s_barrier (peer);
    exchange->replies = zlistx_new ();
    zlistx_set_destructor (exchange->replies, (czmq_destructor *) fg_msg_free);
    while (true) {
        fg_env_t *env = s_recv (peer);
        if (env->seq == barrier && env->body_case == FOGRID__ENVELOPE__BODY_LOC_SERVICES) {
            exchange->listing = env;
            //  What the peer's ended watches were sent came before
            for (int slot = 0; slot < S_WATCH_SLOTS; slot++)
                if (peer->watches [slot].ended)
                    s_watch_end (&peer->watches [slot]);
            break;
        }
        bool reply = exchange->seq
                   ? env->seq == exchange->seq
                   : env->body_case == FOGRID__ENVELOPE__BODY_ERROR
                     && env->error->code != FG_E_NOT_FOUND
                     && zlistx_size (exchange->replies) == 0;
        if (reply)
            zlistx_add_end (exchange->replies, env);
        else {
            s_notice (peer, env);
            fg_msg_free (&env);
        }
    }
    exchange->answered_ms = fg_now_ms ();
}

static void
s_exchange_end (s_exchange_t *exchange)
{
    zlistx_destroy (&exchange->replies);
    fg_msg_free (&exchange->listing);
}

//  Sends request (its seq set) and waits for its replies.
static void
s_ask (int index, fg_env_t *request, s_exchange_t *exchange)
{
    memset (exchange, 0, sizeof *exchange);
    exchange->index = index;
    exchange->seq = request->seq = S_OURS | ++s_seq;
    exchange->sent_ms = fg_now_ms ();
    s_send (&s_peers [index], request);
    s_exchange (exchange);
}

static fg_env_t *
s_only_reply (s_exchange_t *exchange, const char *what)
{
    if (zlistx_size (exchange->replies) != 1)
        fuzz_fail ("peer %d's %s got %zu replies, not one", exchange->index, what,
                   zlistx_size (exchange->replies));
    return (fg_env_t *) zlistx_first (exchange->replies);
}

static bool
s_is_error (fg_env_t *env, fg_error_t code)
{
    return env->body_case == FOGRID__ENVELOPE__BODY_ERROR && env->error->code == (uint32_t) code;
}

//  --------------------------------------------------------------------------
//  Counts: the listing (every barrier's) and STATS

static void
s_check_listing (Fogrid__LocServices *list, int64_t now, const char *who)
{
    const char *last = "";
    for (size_t index = 0; index < list->n_services; index++) {
        Fogrid__LocService *service = list->services [index];
        if (!fg_name_valid (service->name) || strcmp (service->name, last) <= 0
        ||  service->endpoints == 0)
            fuzz_fail ("%s: the list holds '%s' with %u endpoints after '%s'", who,
                       service->name, service->endpoints, last);
        size_t low, high;
        bool bounded = s_bounds (service->name, now, &low, &high);
        if (service->endpoints < low || (bounded && service->endpoints > high))
            fuzz_fail ("%s: the list gives %s %u endpoints; it holds %zu..%zu", who,
                       service->name, service->endpoints, low, high);
        last = service->name;
    }
    //  The names certainly held are listed
    for (s_owner_t *owner = (s_owner_t *) zhashx_first (s_owners); owner;
         owner = (s_owner_t *) zhashx_next (s_owners)) {
        if (s_presence (owner, now) != S_PRESENT)
            continue;
        for (size_t reg = 0; reg < owner->n_regs; reg++) {
            bool listed = !owner->regs [reg].sure;
            for (size_t index = 0; index < list->n_services && !listed; index++)
                listed = streq (list->services [index]->name, owner->regs [reg].name);
            if (!listed)
                fuzz_fail ("%s: the list leaves out %s, which owner %s holds", who,
                           owner->regs [reg].name, owner->id);
        }
    }
}

//  Makes the locator run its expiry at our clock (two pipe commands: a
//  loop turn each, expiry at the end of the first), forgets in the model
//  what has certainly expired, and checks STATS.
static void
s_sync (void)
{
    int64_t before = fg_now_ms ();
    int names = -1, endpoints = -1, owners = -1, watches = -1;
    for (int turn = 0; turn < 2; turn++) {
        zstr_send (s_locator, "STATS");
        if (zsock_recv (s_locator, "iiii", &names, &endpoints, &owners, &watches))
            fuzz_fail ("the locator's pipe did not answer STATS in %d ms", S_WAIT_MS);
    }
    int64_t after = fg_now_ms ();
    for (s_owner_t *owner = (s_owner_t *) zhashx_first (s_owners); owner;
         owner = (s_owner_t *) zhashx_next (s_owners))
        if (owner->presence == S_ABSENT || owner->gone_by <= before)
            owner->presence = S_ABSENT;
    //  Deleting while walking a zhashx loses its cursor
    zlistx_t *gone = zlistx_new ();
    for (s_owner_t *owner = (s_owner_t *) zhashx_first (s_owners); owner;
         owner = (s_owner_t *) zhashx_next (s_owners))
        if (owner->presence == S_ABSENT)
            zlistx_add_end (gone, owner);
    for (s_owner_t *owner = (s_owner_t *) zlistx_first (gone); owner;
         owner = (s_owner_t *) zlistx_next (gone))
        s_owner_gone (owner);
    zlistx_destroy (&gone);
    for (int index = 0; index < S_PEERS; index++)
        for (int slot = 0; slot < S_WATCH_SLOTS; slot++) {
            s_watch_t *watch = &s_peers [index].watches [slot];
            if (watch->used && watch->gone_by <= before)
                watch->ended = true;
        }

    size_t low, high, owners_low = 0, owners_high = 0;
    bool bounded = s_bounds (NULL, after, &low, &high);
    for (s_owner_t *owner = (s_owner_t *) zhashx_first (s_owners); owner;
         owner = (s_owner_t *) zhashx_next (s_owners)) {
        owners_low += s_presence (owner, after) == S_PRESENT;
        owners_high++;
    }
    if (owners < 0 || owners > S_MAX_OWNERS || endpoints > owners * S_PER_OWNER
    ||  names > endpoints || watches < 0 || watches > S_MAX_WATCHES)
        fuzz_fail ("STATS: %d names, %d endpoints, %d owners, %d watches: past the limits "
                   "(%d owners, %d each, %d watches)", names, endpoints, owners, watches,
                   S_MAX_OWNERS, S_PER_OWNER, S_MAX_WATCHES);
    if ((size_t) owners < owners_low || (size_t) owners > owners_high)
        fuzz_fail ("STATS: %d owners; %zu..%zu are alive", owners, owners_low, owners_high);
    if ((size_t) endpoints < low || (bounded && (size_t) endpoints > high))
        fuzz_fail ("STATS: %d endpoints; %zu..%zu are registered", endpoints, low, high);
    size_t watches_low = s_watches (after, true), watches_high = s_watches (after, false);
    if ((size_t) watches < watches_low || (size_t) watches > watches_high)
        fuzz_fail ("STATS: %d watches; %zu..%zu are on", watches, watches_low, watches_high);
}

//  --------------------------------------------------------------------------
//  The services: what each request's replies must be, and what they
//  teach the model

static void
s_on_register (s_exchange_t *exchange, Fogrid__LocRegister *msg)
{
    int index = exchange->index;
    int64_t now = exchange->answered_ms;
    fg_env_t *reply = s_only_reply (exchange, "register");
    s_owner_t *owner = s_owner_find (msg->owner);
    s_presence_t presence = s_presence (owner, now);
    bool ok = reply->body_case == FOGRID__ENVELOPE__BODY_OK;
    bool denied = s_is_error (reply, FG_E_DENIED);
    if (!ok && !denied && !s_is_error (reply, FG_E_INVALID) && !s_is_error (reply, FG_E_LIMIT))
        fuzz_fail ("a register got %s", fg_msg_body_name (reply));
    //  A request the locator cannot take from anyone (a string that is not
    //  UTF-8) is refused at the door, INVALID, before any key is weighed
    bool invalid = s_is_error (reply, FG_E_INVALID);
    if (index >= S_REGISTERING && !denied && !invalid)
        fuzz_fail ("peer %d, not in register_keys, registered %s: %s", index, msg->owner,
                   ok? "Ok": reply->error->text);
    if (index < S_REGISTERING && presence == S_PRESENT && owner->holder != index && !denied
    &&  !invalid)
        fuzz_fail ("peer %d registered over owner %s, which peer %d holds: %s", index,
                   msg->owner, owner->holder, ok? "Ok": reply->error->text);
    if (index < S_REGISTERING && denied && (presence == S_ABSENT || owner->holder == index))
        fuzz_fail ("peer %d may not register owner %s, %s: %s", index, msg->owner,
                   presence == S_ABSENT? "which nobody holds": "which it holds",
                   reply->error->text);
    if (!ok)
        return;
    if (presence == S_UNSURE && owner->holder != index)
        presence = S_ABSENT;    //  another key may register it: it had expired
    if (!owner) {
        owner = (s_owner_t *) zmalloc (sizeof (s_owner_t));
        snprintf (owner->id, sizeof owner->id, "%s", msg->owner);
        zhashx_insert (s_owners, owner->id, owner);
    }
    if (presence == S_ABSENT) {
        owner->n_regs = 0;
        owner->lost = false;
        owner->load = 0;
    }
    else
    if (presence == S_UNSURE) {
        //  Expired and made anew, or kept: what it had of other names may be
        for (size_t reg = 0; reg < owner->n_regs; reg++)
            owner->regs [reg].sure = false;
        owner->load = -1;
    }
    for (size_t reg = 0; reg < msg->n_regs; reg++)
        s_owner_remove (owner, msg->regs [reg]->name);
    for (size_t reg = 0; reg < msg->n_regs; reg++)
        s_owner_add (owner, msg->regs [reg]);
    owner->holder = index;
    owner->presence = S_PRESENT;
    owner->ttl_ms = msg->ttl_ms? msg->ttl_ms: S_TTL_MS;
    if (owner->ttl_ms > S_MAX_TTL_MS)
        owner->ttl_ms = S_MAX_TTL_MS;
    owner->live_until = exchange->sent_ms + owner->ttl_ms;
    owner->gone_by = exchange->answered_ms + owner->ttl_ms;
    if (s_owner_sure (owner) > S_PER_OWNER)
        fuzz_fail ("owner %s holds %zu registrations; the limit is %d", owner->id,
                   s_owner_sure (owner), S_PER_OWNER);
    size_t alive = 0;
    for (s_owner_t *other = (s_owner_t *) zhashx_first (s_owners); other;
         other = (s_owner_t *) zhashx_next (s_owners))
        alive += s_presence (other, now) == S_PRESENT;
    if (alive > S_MAX_OWNERS)
        fuzz_fail ("%zu owners are registered; the limit is %d", alive, S_MAX_OWNERS);
}

static void
s_on_heartbeat (s_exchange_t *exchange, Fogrid__LocHeartbeat *msg)
{
    int index = exchange->index;
    s_owner_t *owner = s_owner_find (msg->owner);
    s_presence_t presence = s_presence (owner, exchange->answered_ms);
    if (zlistx_size (exchange->replies) == 0) {
        if (presence == S_ABSENT || owner->holder != index)
            fuzz_fail ("peer %d's heartbeat of %s was taken (%s)", index, msg->owner,
                       presence == S_ABSENT? "nobody holds it": "another peer holds it");
        owner->presence = S_PRESENT;
        owner->live_until = exchange->sent_ms + owner->ttl_ms;
        owner->gone_by = exchange->answered_ms + owner->ttl_ms;
        owner->load = msg->load > 100? 100: (int) msg->load;
        return;
    }
    fg_env_t *reply = s_only_reply (exchange, "heartbeat");
    if (s_is_error (reply, FG_E_NOT_FOUND)) {
        if (presence == S_PRESENT)
            fuzz_fail ("peer %d's heartbeat of %s: not found, yet it is alive", index,
                       msg->owner);
        if (owner)
            s_owner_gone (owner);
    }
    else
    if (s_is_error (reply, FG_E_DENIED)) {
        if (presence == S_ABSENT || owner->holder == index)
            fuzz_fail ("peer %d's heartbeat of %s was refused (%s): %s", index, msg->owner,
                       presence == S_ABSENT? "nobody holds it": "it holds it",
                       reply->error->text);
    }
    else
    if (!s_is_error (reply, FG_E_INVALID))      //  (refused at the door: not UTF-8)
        fuzz_fail ("a heartbeat got %s", fg_msg_body_name (reply));
}

static void
s_on_unregister (s_exchange_t *exchange, Fogrid__LocUnregister *msg)
{
    int index = exchange->index;
    fg_env_t *reply = s_only_reply (exchange, "unregister");
    s_owner_t *owner = s_owner_find (msg->owner);
    s_presence_t presence = s_presence (owner, exchange->answered_ms);
    if (s_is_error (reply, FG_E_DENIED)) {
        if (presence == S_ABSENT || owner->holder == index)
            fuzz_fail ("peer %d may not unregister %s, %s: %s", index, msg->owner,
                       presence == S_ABSENT? "which nobody holds": "which it holds",
                       reply->error->text);
        return;
    }
    if (s_is_error (reply, FG_E_INVALID))       //  refused at the door: not UTF-8
        return;
    if (reply->body_case != FOGRID__ENVELOPE__BODY_OK)
        fuzz_fail ("an unregister got %s", fg_msg_body_name (reply));
    if (presence == S_ABSENT)
        return;
    if (owner->holder != index) {
        if (presence == S_PRESENT)
            fuzz_fail ("peer %d unregistered %s, which peer %d holds", index, msg->owner,
                       owner->holder);
        s_owner_gone (owner);   //  it had expired: nobody held it
        return;
    }
    s_owner_remove (owner, msg->name? msg->name: "");
    if (owner->n_regs == 0)
        s_owner_gone (owner);
    else
    if (s_owner_sure (owner) == 0)
        owner->presence = S_UNSURE;
}

//  The INVALID a resolve or watch gets for a bad name or policy.
static bool
s_refusable (const char *name, const char *policy)
{
    loc_policy_t parsed;
    return !fg_name_valid (name) || (policy && *policy && loc_policy_parse (policy, &parsed));
}

//  Reads the answer about name at the head of replies; the rest are
//  notices of watch (NULL: there must be none).
static void
s_on_answer (s_exchange_t *exchange, const char *name, uint32_t page_size, s_watch_t *watch,
             const char *what)
{
    char who [64];
    snprintf (who, sizeof who, "peer %d's %s", exchange->index, what);
    if (page_size == 0 || page_size > S_PAGE_SIZE)
        page_size = S_PAGE_SIZE;
    s_answer_t answer = { .shown = s_strings () };
    zlistx_t *pages = zlistx_new ();
    fg_env_t *env = (fg_env_t *) zlistx_first (exchange->replies);
    for (; env; env = (fg_env_t *) zlistx_next (exchange->replies)) {
        zlistx_add_end (pages, env);
        if (s_answer_take (&answer, name, page_size, env, who))
            break;
    }
    if (!env)
        fuzz_fail ("%s of %s: the answer did not end (%zu messages)", who, name,
                   zlistx_size (exchange->replies));
    s_answer_check (&answer, name, pages, exchange->answered_ms, who);
    zlistx_destroy (&pages);
    if (watch) {
        zlistx_destroy (&watch->view);
        watch->view = answer.shown;
        answer.shown = NULL;
        zlistx_purge (watch->building);
        watch->pages = 0;
        while ((env = (fg_env_t *) zlistx_next (exchange->replies)))
            s_notice (&s_peers [exchange->index], env);
    }
    else
    if (zlistx_next (exchange->replies))
        fuzz_fail ("%s of %s: more after the answer", who, name);
    zlistx_destroy (&answer.shown);
}

static void
s_on_resolve (s_exchange_t *exchange, Fogrid__LocResolve *msg)
{
    if (s_refusable (msg->name, msg->policy)) {
        if (!s_is_error (s_only_reply (exchange, "resolve"), FG_E_INVALID))
            fuzz_fail ("a resolve of '%s' by '%s' was not refused", msg->name, msg->policy);
        return;
    }
    s_on_answer (exchange, msg->name, msg->page_size, NULL, "resolve");
}

static void
s_on_watch (s_exchange_t *exchange, Fogrid__LocWatch *msg)
{
    s_peer_t *peer = &s_peers [exchange->index];
    if (s_refusable (msg->name, msg->policy)) {
        if (!s_is_error (s_only_reply (exchange, "watch"), FG_E_INVALID))
            fuzz_fail ("a watch of '%s' by '%s' was not refused", msg->name, msg->policy);
        return;
    }
    s_watch_t *watch = s_watch_find (peer, msg->name, 0);
    if (msg->lease_ms == 0) {
        if (s_only_reply (exchange, "watch")->body_case != FOGRID__ENVELOPE__BODY_OK)
            fuzz_fail ("a watch with no lease got %s", fg_msg_body_name (s_only_reply (exchange,
                                                                                       "")));
        if (watch)
            s_watch_end (watch);
        return;
    }
    fg_env_t *first = (fg_env_t *) zlistx_first (exchange->replies);
    if (first && s_is_error (first, FG_E_LIMIT)) {
        s_only_reply (exchange, "watch");
        if (watch && exchange->answered_ms < watch->live_until)
            fuzz_fail ("peer %d's watch of %s was refused for the limit: it was on",
                       exchange->index, msg->name);
        if (s_watches (exchange->answered_ms, false) < S_MAX_WATCHES)
            fuzz_fail ("a watch was refused for the limit; %zu watches are on, the limit is %d",
                       s_watches (exchange->answered_ms, false), S_MAX_WATCHES);
        return;
    }
    if (!watch)
        watch = s_watch_new (peer, msg->name);
    int64_t lease = msg->lease_ms < S_MAX_LEASE_MS? msg->lease_ms: S_MAX_LEASE_MS;
    watch->seq = exchange->seq;
    watch->live_until = exchange->sent_ms + lease;
    watch->gone_by = exchange->answered_ms + lease;
    s_on_answer (exchange, msg->name, 0, watch, "watch");
}

//  --------------------------------------------------------------------------
//  The hub registry

//  Merges a record the locator took into the model (loc_hubs.c's table).
static void
s_hub_merge (const Fogrid__RegistrySet *record)
{
    char id [65], order [S_ORDER_SIZE];
    fg_hub_record_id (record, id);
    if (zhashx_lookup (s_records, id))
        return;                 //  applied once
    zhashx_insert (s_records, id, s_records);
    snprintf (order, sizeof order, "%020" PRIu64 " %s %s", record->at_ms, record->signer, id);
    s_hub_t *hub = (s_hub_t *) zhashx_lookup (s_hubs, record->hub_id);
    int64_t at_ms = (int64_t) record->at_ms;
    if (!hub) {
        hub = (s_hub_t *) zmalloc (sizeof (s_hub_t));
        snprintf (hub->id, sizeof hub->id, "%s", record->hub_id);
        hub->created_ms = at_ms;
        zhashx_insert (s_hubs, hub->id, hub);
    }
    if (at_ms < hub->created_ms)
        hub->created_ms = at_ms;
    if (strcmp (order, hub->status_at) > 0) {
        snprintf (hub->status, sizeof hub->status, "%s", record->status);
        snprintf (hub->reason, sizeof hub->reason, "%s", record->reason);
        snprintf (hub->updated_by, sizeof hub->updated_by, "%s", record->signer);
        hub->updated_ms = at_ms;
        snprintf (hub->status_at, sizeof hub->status_at, "%s", order);
    }
    if (*record->hub_key && strcmp (order, hub->hub_key_at) > 0) {
        snprintf (hub->hub_key, sizeof hub->hub_key, "%s", record->hub_key);
        snprintf (hub->hub_key_at, sizeof hub->hub_key_at, "%s", order);
    }
    if (*record->ledger_key && strcmp (order, hub->ledger_key_at) > 0) {
        snprintf (hub->ledger_key, sizeof hub->ledger_key, "%s", record->ledger_key);
        snprintf (hub->ledger_key_at, sizeof hub->ledger_key_at, "%s", order);
    }
    if (record->stake >= 0 && strcmp (order, hub->stake_at) > 0) {
        hub->stake = record->stake;
        snprintf (hub->stake_at, sizeof hub->stake_at, "%s", order);
    }
    //  A key names one hub
    for (s_hub_t *other = (s_hub_t *) zhashx_first (s_hubs); other;
         other = (s_hub_t *) zhashx_next (s_hubs))
        if (other != hub && *hub->hub_key && streq (other->hub_key, hub->hub_key))
            fuzz_fail ("hubs %s and %s both hold key %s", hub->id, other->id, hub->hub_key);
}

static void
s_hub_check (const Fogrid__RegistryHub *shown, const char *who)
{
    s_hub_t *hub = (s_hub_t *) zhashx_lookup (s_hubs, shown->hub_id);
    if (!hub)
        fuzz_fail ("%s: hub %s, of which it took no record", who, shown->hub_id);
    if (!streq (shown->status, hub->status) || !streq (shown->reason, hub->reason)
    ||  !streq (shown->updated_by, hub->updated_by) || !streq (shown->hub_key, hub->hub_key)
    ||  !streq (shown->ledger_key, hub->ledger_key) || shown->stake != hub->stake
    ||  shown->updated_ms != (uint64_t) hub->updated_ms
    ||  shown->created_ms != (uint64_t) hub->created_ms)
        fuzz_fail ("%s: hub %s is %s (%s) by %.12s at %" PRIu64 ", key %.12s, ledger %.12s, "
                   "stake %" PRId64 ", since %" PRIu64 "; its records make it %s (%s) by %.12s "
                   "at %" PRId64 ", key %.12s, ledger %.12s, stake %" PRId64 ", since %" PRId64,
                   who, hub->id, shown->status, shown->reason, shown->updated_by,
                   shown->updated_ms, shown->hub_key, shown->ledger_key, shown->stake,
                   shown->created_ms, hub->status, hub->reason, hub->updated_by,
                   hub->updated_ms, hub->hub_key, hub->ledger_key, hub->stake, hub->created_ms);
}

static int
s_hub_compare (const void *a, const void *b)
{
    return strcmp ((*(s_hub_t *const *) a)->id, (*(s_hub_t *const *) b)->id);
}

//  The reply to a RegistryList with these filters ("" = any): the hubs of
//  the model, in order of id.
static void
s_check_hubs (Fogrid__RegistryReply *reply, const char *hub_id, const char *hub_key,
              const char *who)
{
    size_t count = 0;
    s_hub_t **hubs = (s_hub_t **) zmalloc (sizeof (void *) * (zhashx_size (s_hubs) + 1));
    for (s_hub_t *hub = (s_hub_t *) zhashx_first (s_hubs); hub;
         hub = (s_hub_t *) zhashx_next (s_hubs))
        if ((!*hub_id || streq (hub->id, hub_id)) && (!*hub_key || streq (hub->hub_key, hub_key)))
            hubs [count++] = hub;
    qsort (hubs, count, sizeof (void *), s_hub_compare);
    if (reply->n_hubs != count)
        fuzz_fail ("%s: %zu hubs (id '%s', key '%.12s'); its records make %zu", who,
                   reply->n_hubs, hub_id, hub_key, count);
    for (size_t index = 0; index < count; index++) {
        if (!streq (reply->hubs [index]->hub_id, hubs [index]->id))
            fuzz_fail ("%s: hub %s where %s was due", who, reply->hubs [index]->hub_id,
                       hubs [index]->id);
        s_hub_check (reply->hubs [index], who);
    }
    free (hubs);
}

static void
s_on_registry_list (s_exchange_t *exchange, Fogrid__RegistryList *msg)
{
    fg_env_t *reply = s_only_reply (exchange, "registry list");
    bool valid = fg_text_valid (msg->hub_id, 63) && fg_text_valid (msg->hub_key, 40);
    if (!valid) {
        if (!s_is_error (reply, FG_E_INVALID))
            fuzz_fail ("a registry list with a bad filter got %s", fg_msg_body_name (reply));
        return;
    }
    if (reply->body_case != FOGRID__ENVELOPE__BODY_REGISTRY_REPLY)
        fuzz_fail ("a registry list got %s", fg_msg_body_name (reply));
    s_check_hubs (reply->registry_reply, msg->hub_id, msg->hub_key, "registry list");
}

//  signer: the peer whose key we signed it with, or -1
static void
s_on_registry_set (s_exchange_t *exchange, Fogrid__RegistrySet *msg, int signer)
{
    fg_env_t *reply = s_only_reply (exchange, "registry change");
    if (reply->body_case == FOGRID__ENVELOPE__BODY_REGISTRY_REPLY) {
        if (signer < 0 || !s_is_admin (signer))
            fuzz_fail ("the registry took a change of %s to %s %s", msg->hub_id, msg->status,
                       signer < 0? "that the DAO did not sign"
                                 : "signed by a key not in admin_keys");
        s_hub_merge (msg);
        Fogrid__RegistryReply *hubs = reply->registry_reply;
        if (hubs->n_hubs != 1 || !streq (hubs->hubs [0]->hub_id, msg->hub_id))
            fuzz_fail ("a registry change of %s was answered with %zu hubs", msg->hub_id,
                       hubs->n_hubs);
        s_hub_check (hubs->hubs [0], "registry change");
        return;
    }
    if (s_is_error (reply, FG_E_DENIED)) {
        if (signer >= 0 && s_is_admin (signer))
            fuzz_fail ("the registry refused a change the DAO signed: %s", reply->error->text);
        return;
    }
    if (!s_is_error (reply, FG_E_INVALID))
        fuzz_fail ("a registry change got %s (%s)", fg_msg_body_name (reply),
                   reply->body_case == FOGRID__ENVELOPE__BODY_ERROR? reply->error->text: "");
}

//  A page of the log: each record one taken, signed by the DAO, in order.
static void
s_check_records (Fogrid__RegistryRecords *records, const char *log_id, uint64_t after,
                 uint32_t max, const char *who)
{
    if (strlen (records->log_id) != 32)
        fuzz_fail ("%s: log id '%s'", who, records->log_id);
    if (!*s_log_id)
        snprintf (s_log_id, sizeof s_log_id, "%s", records->log_id);
    else
    if (!streq (s_log_id, records->log_id))
        fuzz_fail ("%s: the log is %s, it was %s", who, records->log_id, s_log_id);
    if (max == 0 || max > 200)
        max = 200;
    if (records->n_entries > max)
        fuzz_fail ("%s: %zu records, %u asked", who, records->n_entries, max);
    uint64_t last = log_id && streq (log_id, records->log_id)? after: 0;
    for (size_t index = 0; index < records->n_entries; index++) {
        Fogrid__RegistryLogEntry *entry = records->entries [index];
        char id [65], why [200];
        if (entry->seq <= last || !entry->record)
            fuzz_fail ("%s: record %" PRIu64 " after %" PRIu64, who, entry->seq, last);
        last = entry->seq;
        fg_hub_record_id (entry->record, id);
        if (!zhashx_lookup (s_records, id))
            fuzz_fail ("%s: record %" PRIu64 " (%s of %s) was never taken", who, entry->seq,
                       entry->record->status, entry->record->hub_id);
        if (fg_hub_record_verify (entry->record, why, sizeof why))
            fuzz_fail ("%s: record %" PRIu64 " does not verify: %s", who, entry->seq, why);
    }
}

static void
s_on_registry_sync (s_exchange_t *exchange, Fogrid__RegistrySync *msg)
{
    fg_env_t *reply = s_only_reply (exchange, "registry sync");
    if (reply->body_case != FOGRID__ENVELOPE__BODY_REGISTRY_RECORDS)
        fuzz_fail ("a registry sync got %s", fg_msg_body_name (reply));
    if (!*s_log_id && !zhashx_size (s_records) && !*reply->registry_records->log_id)
        return;                 //  no database yet
    s_check_records (reply->registry_records, msg->log_id, msg->after, msg->max,
                     "registry sync");
}

//  The whole log: each record taken, once.
static void
s_check_log (void)
{
    zhashx_t *seen = zhashx_new ();
    uint64_t after = 0;
    while (true) {
        Fogrid__RegistrySync sync = FOGRID__REGISTRY_SYNC__INIT;
        sync.log_id = s_log_id;
        sync.after = after;
        sync.max = 100;
        fg_env_t request = FOGRID__ENVELOPE__INIT;
        request.body_case = FOGRID__ENVELOPE__BODY_REGISTRY_SYNC;
        request.registry_sync = &sync;
        s_exchange_t exchange;
        s_ask (S_READER, &request, &exchange);
        fg_env_t *reply = s_only_reply (&exchange, "log read");
        if (reply->body_case != FOGRID__ENVELOPE__BODY_REGISTRY_RECORDS)
            fuzz_fail ("a log read got %s", fg_msg_body_name (reply));
        Fogrid__RegistryRecords *records = reply->registry_records;
        bool more = records->more;
        if (*records->log_id || zhashx_size (s_records)) {
            s_check_records (records, s_log_id, after, 100, "the log");
            for (size_t index = 0; index < records->n_entries; index++) {
                char id [65];
                fg_hub_record_id (records->entries [index]->record, id);
                if (zhashx_lookup (seen, id))
                    fuzz_fail ("the log holds record %s twice", id);
                zhashx_insert (seen, id, seen);
                after = records->entries [index]->seq;
            }
        }
        s_exchange_end (&exchange);
        if (!more)
            break;
    }
    if (zhashx_size (seen) != zhashx_size (s_records))
        fuzz_fail ("the log holds %zu records; the registry took %zu", zhashx_size (seen),
                   zhashx_size (s_records));
    zhashx_destroy (&seen);
}

//  --------------------------------------------------------------------------
//  Filling in what the fuzzer cannot guess

static void
s_short (fuzz_patches_t *patches, char **field, const char *format, int choices)
{
    if (*field && strlen (*field) == 1)
        fuzz_patch (patches, field, zsys_sprintf (format, (unsigned char) (*field) [0] % choices));
}

static void
s_key (fuzz_patches_t *patches, char **field)
{
    if (*field && strlen (*field) == 1)
        fuzz_patch (patches, field,
                    strdup (zcert_public_txt (s_certs [(unsigned char) (*field) [0] % S_PEERS])));
}

//  Returns the peer whose key signed a RegistrySet, or -1.
static int
s_fill_in (fg_env_t *env, fuzz_patches_t *patches)
{
    switch (env->body_case) {
        case FOGRID__ENVELOPE__BODY_LOC_REGISTER: {
            Fogrid__LocRegister *msg = env->loc_register;
            s_short (patches, &msg->owner, "owner-%d", S_OWNERS);
            for (size_t index = 0; index < msg->n_regs; index++)
                s_short (patches, &msg->regs [index]->name, "svc-%d", S_NAMES);
            break;
        }
        case FOGRID__ENVELOPE__BODY_LOC_HEARTBEAT:
            s_short (patches, &env->loc_heartbeat->owner, "owner-%d", S_OWNERS);
            break;
        case FOGRID__ENVELOPE__BODY_LOC_UNREGISTER:
            s_short (patches, &env->loc_unregister->owner, "owner-%d", S_OWNERS);
            s_short (patches, &env->loc_unregister->name, "svc-%d", S_NAMES);
            break;
        case FOGRID__ENVELOPE__BODY_LOC_RESOLVE:
            s_short (patches, &env->loc_resolve->name, "svc-%d", S_NAMES);
            break;
        case FOGRID__ENVELOPE__BODY_LOC_WATCH:
            s_short (patches, &env->loc_watch->name, "svc-%d", S_NAMES);
            break;
        case FOGRID__ENVELOPE__BODY_REGISTRY_LIST:
            s_short (patches, &env->registry_list->hub_id, "hub-%d", S_HUBS);
            s_key (patches, &env->registry_list->hub_key);
            break;
        case FOGRID__ENVELOPE__BODY_REGISTRY_SYNC:
            if (env->registry_sync->log_id && strlen (env->registry_sync->log_id) == 1)
                fuzz_patch (patches, &env->registry_sync->log_id, strdup (s_log_id));
            break;
        case FOGRID__ENVELOPE__BODY_REGISTRY_SET: {
            Fogrid__RegistrySet *msg = env->registry_set;
            s_short (patches, &msg->hub_id, "hub-%d", S_HUBS);
            s_key (patches, &msg->hub_key);
            if (msg->ledger_key && strlen (msg->ledger_key) == 1)
                fuzz_patch (patches, &msg->ledger_key,
                            strdup (s_ledger_keys [(unsigned char) msg->ledger_key [0] % 2]));
            if (msg->at_ms && msg->at_ms < (1 << 20))
                msg->at_ms = (uint64_t) (fg_now_ms () - (1 << 19)) + msg->at_ms;
            if (!msg->signer || strlen (msg->signer) != 1)
                return -1;
            int signer = (unsigned char) msg->signer [0] % S_PEERS;
            fg_hub_seal_t seal;
            Fogrid__RegistrySet copy = *msg;
            fg_hub_record_sign (&copy, s_sign_keys [signer], &seal);
            fuzz_patch (patches, &msg->signer, strdup (seal.signer));
            fuzz_patch (patches, &msg->sign_key, strdup (""));
            fuzz_patch (patches, &msg->signature, strdup (seal.signature));
            return signer;
        }
        default:
            break;
    }
    return -1;
}

//  --------------------------------------------------------------------------
//  One message of the input

//  True when env, encoded as we send it, decodes again (protobuf-c keeps
//  what it does not know, so what it decoded it nearly always encodes)
static bool
s_roundtrips (fg_env_t *env)
{
    zmsg_t *msg = fg_msg_encode (NULL, env);
    zframe_t *frame = zmsg_first (msg);
    fg_error_t error;
    fg_env_t *again = fg_msg_decode (zframe_data (frame), zframe_size (frame), &error, NULL);
    bool same = again && again->body_case == env->body_case;
    fg_msg_free (&again);
    zmsg_destroy (&msg);
    return same;
}

static void
s_message (int index, const uint8_t *bytes, size_t length)
{
    s_peer_t *peer = &s_peers [index];
    fg_error_t error;
    fg_env_t *env = fg_msg_decode (bytes, length, &error, NULL);
    s_exchange_t exchange;
    memset (&exchange, 0, sizeof exchange);
    exchange.index = index;
    if (!env) {
        //  As it came: the locator must refuse it, once
        exchange.sent_ms = fg_now_ms ();
        zframe_t *frame = zframe_new (bytes, length);
        if (zframe_send (&frame, peer->sock, 0))
            fuzz_fail ("cannot send to the locator");
        s_exchange (&exchange);
        fg_env_t *reply = s_only_reply (&exchange, "undecodable message");
        if (!s_is_error (reply, error))
            fuzz_fail ("bytes refused here as %s got %s from the locator", fg_strerror (error),
                       fg_msg_body_name (reply));
    }
    else {
        fuzz_patches_t patches;
        patches.count = 0;
        int signer = s_fill_in (env, &patches);
        if (!s_roundtrips (env)) {
            fuzz_unpatch (&patches);
            fg_msg_free (&env);
            return;
        }
        s_ask (index, env, &exchange);
        switch (env->body_case) {
            case FOGRID__ENVELOPE__BODY_LOC_REGISTER:
                s_on_register (&exchange, env->loc_register);
                break;
            case FOGRID__ENVELOPE__BODY_LOC_HEARTBEAT:
                s_on_heartbeat (&exchange, env->loc_heartbeat);
                break;
            case FOGRID__ENVELOPE__BODY_LOC_UNREGISTER:
                s_on_unregister (&exchange, env->loc_unregister);
                break;
            case FOGRID__ENVELOPE__BODY_LOC_RESOLVE:
                s_on_resolve (&exchange, env->loc_resolve);
                break;
            case FOGRID__ENVELOPE__BODY_LOC_WATCH:
                s_on_watch (&exchange, env->loc_watch);
                break;
            case FOGRID__ENVELOPE__BODY_LOC_LIST: {
                fg_env_t *reply = s_only_reply (&exchange, "list");
                if (reply->body_case != FOGRID__ENVELOPE__BODY_LOC_SERVICES)
                    fuzz_fail ("a list got %s", fg_msg_body_name (reply));
                s_check_listing (reply->loc_services, exchange.answered_ms, "list");
                break;
            }
            case FOGRID__ENVELOPE__BODY_REGISTRY_LIST:
                s_on_registry_list (&exchange, env->registry_list);
                break;
            case FOGRID__ENVELOPE__BODY_REGISTRY_SET:
                s_on_registry_set (&exchange, env->registry_set, signer);
                break;
            case FOGRID__ENVELOPE__BODY_REGISTRY_SYNC:
                s_on_registry_sync (&exchange, env->registry_sync);
                break;
            default:
                if (!s_is_error (s_only_reply (&exchange, "message"), FG_E_UNEXPECTED))
                    fuzz_fail ("%s, not a locator request, got %s", fg_msg_body_name (env),
                               fg_msg_body_name (s_only_reply (&exchange, "")));
                break;
        }
        fuzz_unpatch (&patches);
        fg_msg_free (&env);
    }
    s_check_listing (exchange.listing->loc_services, exchange.answered_ms, "barrier");
    s_exchange_end (&exchange);
}

//  --------------------------------------------------------------------------
//  After each input

//  Resolves name on the reader's connection (checked as any answer) into
//  a sorted list of "owner host port".
static zlistx_t *
s_resolve (const char *name)
{
    Fogrid__LocResolve resolve = FOGRID__LOC_RESOLVE__INIT;
    resolve.name = (char *) name;
    resolve.policy = "round-robin";
    fg_env_t request = FOGRID__ENVELOPE__INIT;
    request.body_case = FOGRID__ENVELOPE__BODY_LOC_RESOLVE;
    request.loc_resolve = &resolve;
    s_exchange_t exchange;
    s_ask (S_READER, &request, &exchange);
    s_on_answer (&exchange, name, 0, NULL, "check's resolve");
    zlistx_t *shown = s_strings ();
    for (fg_env_t *env = (fg_env_t *) zlistx_first (exchange.replies); env;
         env = (fg_env_t *) zlistx_next (exchange.replies))
        for (size_t index = 0; env->body_case == FOGRID__ENVELOPE__BODY_LOC_ENDPOINTS
                               && index < env->loc_endpoints->n_endpoints; index++) {
            Fogrid__Endpoint *endpoint = env->loc_endpoints->endpoints [index];
            zlistx_add_end (shown, zsys_sprintf ("%s %s %u", endpoint->owner, endpoint->host,
                                                 endpoint->port));
        }
    zlistx_sort (shown);
    s_check_listing (exchange.listing->loc_services, exchange.answered_ms, "check's barrier");
    s_exchange_end (&exchange);
    return shown;
}

//  Every name the locator lists and the model knows resolves as the
//  model says; once every change is flushed, each live watch's last
//  notice lists what a resolve of its name lists. Changes (expiries) may
//  come while we look: then we look again.
static void
s_check_services (void)
{
    for (int tries = 0; ; tries++) {
        //  The names: svc-0..2, those the owners may hold, those watched
        zlistx_t *names = s_strings ();
        for (int index = 0; index < S_NAMES; index++)
            zlistx_add_end (names, zsys_sprintf ("svc-%d", index));
        for (s_owner_t *owner = (s_owner_t *) zhashx_first (s_owners); owner;
             owner = (s_owner_t *) zhashx_next (s_owners))
            for (size_t reg = 0; reg < owner->n_regs; reg++)
                if (!zlistx_find (names, owner->regs [reg].name))
                    zlistx_add_end (names, strdup (owner->regs [reg].name));
        for (int index = 0; index < S_PEERS; index++)
            for (int slot = 0; slot < S_WATCH_SLOTS; slot++) {
                s_watch_t *watch = &s_peers [index].watches [slot];
                if (watch->used && !watch->ended && !zlistx_find (names, watch->name))
                    zlistx_add_end (names, strdup (watch->name));
            }
        zhashx_t *resolved = zhashx_new ();
        zhashx_set_destructor (resolved, (zhashx_destructor_fn *) zlistx_destroy);
        for (char *name = (char *) zlistx_first (names); name; name = (char *) zlistx_next (names))
            zhashx_insert (resolved, name, s_resolve (name));
        zlistx_destroy (&names);
        //  Every change flushed: a notice sent for it comes before the
        //  reply to a request that follows on the watcher's connection
        s_sync ();
        for (int index = 0; index < S_PEERS; index++) {
            s_exchange_t exchange;
            memset (&exchange, 0, sizeof exchange);
            exchange.index = index;
            exchange.seq = S_OURS;      //  no request: nothing answers it
            s_exchange (&exchange);
            s_check_listing (exchange.listing->loc_services, exchange.answered_ms,
                             "check's barrier");
            s_exchange_end (&exchange);
        }
        int64_t now = fg_now_ms ();
        s_watch_t *stale = NULL;
        for (int index = 0; index < S_PEERS && !stale; index++)
            for (int slot = 0; slot < S_WATCH_SLOTS && !stale; slot++) {
                s_watch_t *watch = &s_peers [index].watches [slot];
                if (watch->used && !watch->ended && now < watch->live_until
                &&  !s_same (watch->view, (zlistx_t *) zhashx_lookup (resolved, watch->name)))
                    stale = watch;
            }
        if (stale && tries == 20) {
            fprintf (stderr, "fuzz_loc_server: the watch of %s:\n", stale->name);
            s_print ("its last notice", stale->view);
            s_print ("a resolve", (zlistx_t *) zhashx_lookup (resolved, stale->name));
            fuzz_fail ("a watcher's last notice of %s is not what the locator holds",
                       stale->name);
        }
        zhashx_destroy (&resolved);
        if (!stale)
            break;
    }
}

static void
s_check_registry (void)
{
    Fogrid__RegistryList list = FOGRID__REGISTRY_LIST__INIT;
    fg_env_t request = FOGRID__ENVELOPE__INIT;
    request.body_case = FOGRID__ENVELOPE__BODY_REGISTRY_LIST;
    request.registry_list = &list;
    s_exchange_t exchange;
    s_ask (S_READER + 1, &request, &exchange);
    fg_env_t *reply = s_only_reply (&exchange, "registry check");
    if (reply->body_case != FOGRID__ENVELOPE__BODY_REGISTRY_REPLY)
        fuzz_fail ("the registry check got %s", fg_msg_body_name (reply));
    s_check_hubs (reply->registry_reply, "", "", "the registry");
    s_exchange_end (&exchange);
}

//  --------------------------------------------------------------------------
//  Starting and stopping the locator

static void
s_locator_start (bool fresh)
{
    if (fresh) {
        if (*s_dir)
            fuzz_remove (s_dir);
        snprintf (s_dir, sizeof s_dir, "%s/locator-%u", s_root, s_starts);
        zhashx_purge (s_hubs);
        zhashx_purge (s_records);
        s_log_id [0] = 0;
    }
    s_starts++;
    s_inputs = 0;
    zhashx_purge (s_owners);
    char keys [400];
    s_config = fg_config_new (loc_server_defs);
    fg_config_set (s_config, "locator/endpoint", "tcp://127.0.0.1:*");
    fg_config_set (s_config, "locator/data_dir", s_dir);
    fg_config_set (s_config, "locator/dns", "");
    fg_config_set (s_config, "locator/http", "");
    fg_config_set (s_config, "locator/default_policy", "random");
    //  No rate limit: the model expects every request handled (the limit
    //  has its own test in the loc_server suite)
    fg_config_set (s_config, "locator/rate", "0");
    const struct { const char *path; int value; } limits [] = {
        { "locator/ttl_ms", S_TTL_MS }, { "locator/max_ttl_ms", S_MAX_TTL_MS },
        { "locator/page_size", S_PAGE_SIZE }, { "locator/max_per_owner", S_PER_OWNER },
        { "locator/max_owners", S_MAX_OWNERS }, { "locator/max_watches", S_MAX_WATCHES },
        { "locator/max_lease_ms", S_MAX_LEASE_MS }
    };
    for (size_t index = 0; index < sizeof limits / sizeof limits [0]; index++) {
        char value [16];
        snprintf (value, sizeof value, "%d", limits [index].value);
        fg_config_set (s_config, limits [index].path, value);
    }
    snprintf (keys, sizeof keys, "%s/register", s_root);
    fg_config_set (s_config, "locator/register_keys", keys);
    snprintf (keys, sizeof keys, "%s/admin", s_root);
    fg_config_set (s_config, "locator/admin_keys", keys);
    loc_server_args_t args = { .config = s_config };
    s_locator = zactor_new (loc_server_actor, &args);
    if (args.rc)
        fuzz_fail ("the locator does not start on %s data: %s", fresh? "new": "its own",
                   args.error);
    zsock_set_rcvtimeo (zactor_sock (s_locator), S_WAIT_MS);
    int port = 0;
    zstr_send (s_locator, "PORT");
    zsock_recv (s_locator, "i", &port);
    for (int index = 0; index < S_PEERS; index++) {
        s_peer_t *peer = &s_peers [index];
        peer->cert = s_certs [index];
        peer->sock = zsock_new (ZMQ_DEALER);
        zsock_set_linger (peer->sock, 0);
        zsock_set_sndtimeo (peer->sock, S_WAIT_MS);
        fg_curve_client (peer->sock, peer->cert, fg_security_public_key ());
        zsock_connect (peer->sock, "tcp://127.0.0.1:%d", port);
    }
    if (!fresh) {
        //  What it took before is what it holds now, in the same log
        s_check_registry ();
        s_check_log ();
    }
}

static void
s_locator_stop (void)
{
    for (int index = 0; index < S_PEERS; index++) {
        for (int slot = 0; slot < S_WATCH_SLOTS; slot++)
            if (s_peers [index].watches [slot].used)
                s_watch_end (&s_peers [index].watches [slot]);
        zsock_destroy (&s_peers [index].sock);
    }
    zactor_destroy (&s_locator);
    fg_config_destroy (&s_config);
}

static void
s_cleanup (void)
{
    if (s_locator)
        s_locator_stop ();
    zhashx_destroy (&s_owners);
    zhashx_destroy (&s_hubs);
    zhashx_destroy (&s_records);
    fg_security_term ();
    for (int index = 0; index < S_PEERS; index++) {
        zcert_destroy (&s_certs [index]);
        fg_signkey_destroy (&s_sign_keys [index]);
    }
    fuzz_remove (s_root);
}

static void
s_setup (void)
{
    fuzz_start ("fuzz_loc_server");
    fuzz_tmpdir (s_root, sizeof s_root);
    //  The locator's keys, then each peer's, in the directories of the
    //  keys that may register and of the DAO's
    fuzz_keys (loc_server_defs, s_root, "locator");
    if (zsys_dir_create ("%s/register", s_root) || zsys_dir_create ("%s/admin", s_root))
        fuzz_fail ("cannot make the key directories in %s", s_root);
    for (int index = 0; index < S_PEERS; index++) {
        s_certs [index] = zcert_new ();
        byte seed [32];
        randombytes_buf (seed, sizeof seed);
        s_sign_keys [index] = fg_signkey_new_from_seed (seed);
        char path [400];
        if (index < S_REGISTERING) {
            snprintf (path, sizeof path, "%s/register/peer-%d.key", s_root, index);
            zcert_save_public (s_certs [index], path);
        }
        if (s_is_admin (index)) {
            snprintf (path, sizeof path, "%s/admin/peer-%d.sign", s_root, index);
            FILE *file = fopen (path, "w");
            if (!file || fprintf (file, "public-key = \"%s\"\n",
                                  fg_signkey_public_txt (s_sign_keys [index])) < 0
            ||  fclose (file))
                fuzz_fail ("cannot write %s", path);
        }
    }
    memset (s_ledger_keys [0], 'a', 64);
    memset (s_ledger_keys [1], '7', 64);
    s_owners = zhashx_new ();
    zhashx_set_destructor (s_owners, s_free);
    s_hubs = zhashx_new ();
    zhashx_set_destructor (s_hubs, s_free);
    s_records = zhashx_new ();
    s_locator_start (true);
    atexit (s_cleanup);
}

//  --------------------------------------------------------------------------

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    if (!s_root [0])
        s_setup ();
    size_t at = 0, length;
    uint8_t op;
    const uint8_t *bytes;
    while (fuzz_next_message (data, size, &at, &op, &bytes, &length)) {
        s_sync ();
        s_message (op & 7, bytes, length);
        s_drain ();
    }
    s_sync ();
    s_check_services ();
    s_check_registry ();
    if (++s_inputs >= S_RESTART_EVERY) {
        s_check_log ();
        s_locator_stop ();
        s_locator_start (s_starts % 2 == 0);
    }
    return 0;
}
