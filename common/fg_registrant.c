/*  =========================================================================
    fg_registrant - keeps an owner's registrations alive at every locator

    DESIGN
    The actor owns one DEALER per locator, set to ZMQ_IMMEDIATE so that a
    message to a locator that is down is refused at once instead of piling
    up (a stale heartbeat delivered later would be harmless, but a queue of
    them is not). Per locator there is a small state machine:

        state        event                       next        action
        -----        -----                       ----        ------
        unknown      retry due                   waiting     send register
        waiting      Ok                          registered
        waiting      tick (no answer in TTL/2)   waiting     send register
        registered   tick                        registered  send heartbeat
        registered   Error NOT_FOUND             waiting     send register
        any          send fails                  unknown     retry due later
        any          SET                         waiting     send register

    A send fails while the link to the locator is not up yet (ZMQ_IMMEDIATE:
    no connection, or its CurveZMQ handshake not done), which is the normal
    case right after start. Waiting for the next tick (a third of the TTL)
    then would leave the owner's name dark that long after a restart: its
    previous registration expires, the new one is not there yet. So an
    unknown locator is retried on its own short timer, S_RETRY_MIN_MS
    doubling to S_RETRY_MAX_MS: a link that comes up is used within a few
    tens of milliseconds, and a locator that stays down costs a failed
    send (no network traffic) a second.
    =========================================================================  */
#include "fogrid.h"

typedef enum { REG_UNKNOWN, REG_WAITING, REG_REGISTERED } s_reg_state_t;

#define S_RETRY_MIN_MS  20      //  first retry after a failed send
#define S_RETRY_MAX_MS  1000    //  the retry period it doubles up to

static const char *s_state_names [] = { "unknown", "waiting", "registered" };

typedef struct {
    char *endpoint;             //  the locator
    zsock_t *sock;              //  DEALER to it
    s_reg_state_t state;        //  see the table above
    int64_t sent_ms;            //  when the last register went out
    int64_t retry_at;           //  unknown: when to send the register again
    uint32_t retry_ms;          //  unknown: the pause before the next retry
} s_locator_t;

typedef struct {
    zsock_t *pipe;              //  to the owner
    zpoller_t *poller;          //  pipe + every locator socket
    s_locator_t *locators;      //  one per locator
    size_t count;               //  how many
    char *owner;                //  owner id
    uint32_t ttl_ms;            //  registration lifetime
    uint32_t load;              //  owner's current load
    zframe_t *registration;     //  encoded LocRegister, NULL until SET
    bool terminated;            //  $TERM received
} s_agent_t;

struct _fg_registrant_t {
    zactor_t *actor;            //  the agent's thread
    char *owner;                //  whose registrations
    uint32_t ttl_ms;            //  their lifetime
    size_t acked;               //  reported by the agent on request
};

typedef struct {
    char *locators;
    char *owner;
    uint32_t ttl_ms;
} s_args_t;

static void
s_set_state (s_agent_t *self, s_locator_t *loc, s_reg_state_t next)
{
    if (loc->state != next)
        fg_debug ("registrant %s @ %s: %s -> %s", self->owner, loc->endpoint,
                  s_state_names [loc->state], s_state_names [next]);
    loc->state = next;
}

static void
s_send_register (s_agent_t *self, s_locator_t *loc)
{
    if (!self->registration)
        return;
    zsock_set_sndtimeo (loc->sock, 0);
    zframe_t *copy = zframe_dup (self->registration);
    if (zframe_send (&copy, loc->sock, 0)) {
        zframe_destroy (&copy);
        s_set_state (self, loc, REG_UNKNOWN);
        loc->retry_at = fg_now_ms () + loc->retry_ms;
        uint32_t cap = self->ttl_ms / 3 < S_RETRY_MAX_MS? self->ttl_ms / 3: S_RETRY_MAX_MS;
        loc->retry_ms = loc->retry_ms * 2 < cap? loc->retry_ms * 2: cap;
        if (loc->retry_ms < S_RETRY_MIN_MS)
            loc->retry_ms = S_RETRY_MIN_MS;
        return;
    }
    loc->sent_ms = fg_now_ms ();
    loc->retry_ms = S_RETRY_MIN_MS;
    s_set_state (self, loc, REG_WAITING);
}

static void
s_send_heartbeat (s_agent_t *self, s_locator_t *loc)
{
    Fogrid__LocHeartbeat heartbeat = FOGRID__LOC_HEARTBEAT__INIT;
    heartbeat.owner = self->owner;
    heartbeat.load = self->load;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_HEARTBEAT;
    env.loc_heartbeat = &heartbeat;
    zsock_set_sndtimeo (loc->sock, 0);
    if (fg_msg_send (loc->sock, NULL, &env)) {
        s_set_state (self, loc, REG_UNKNOWN);
        loc->retry_at = fg_now_ms () + loc->retry_ms;
    }
}

//  Sends the register again to every unknown locator whose retry is due;
//  returns when the next one is (INT64_MAX: none waits).
static int64_t
s_retry (s_agent_t *self)
{
    int64_t now = fg_now_ms (), next = INT64_MAX;
    for (size_t i = 0; i < self->count && self->registration; i++) {
        s_locator_t *loc = &self->locators [i];
        if (loc->state == REG_UNKNOWN && now >= loc->retry_at)
            s_send_register (self, loc);
        if (loc->state == REG_UNKNOWN && loc->retry_at < next)
            next = loc->retry_at;
    }
    return next;
}

static void
s_tick (s_agent_t *self)
{
    int64_t now = fg_now_ms ();
    for (size_t i = 0; i < self->count; i++) {
        s_locator_t *loc = &self->locators [i];
        if (loc->state == REG_REGISTERED)
            s_send_heartbeat (self, loc);
        else
        if (loc->state == REG_UNKNOWN || now - loc->sent_ms >= self->ttl_ms / 2)
            s_send_register (self, loc);
    }
}

static void
s_handle_locator (s_agent_t *self, s_locator_t *loc)
{
    fg_error_t error;
    fg_env_t *env = fg_msg_recv (loc->sock, NULL, &error, NULL);
    if (!env) {
        zsys_warning ("registrant: bad answer from %s: %s", loc->endpoint, fg_strerror (error));
        return;
    }
    if (env->body_case == FOGRID__ENVELOPE__BODY_OK) {
        if (loc->state == REG_WAITING)
            s_set_state (self, loc, REG_REGISTERED);
    }
    else
    if (env->body_case == FOGRID__ENVELOPE__BODY_ERROR) {
        if (env->error->code == FG_E_NOT_FOUND)
            s_send_register (self, loc);
        else {
            zsys_error ("registrant: locator %s refused %s: %s", loc->endpoint,
                        self->owner, env->error->text);
            s_set_state (self, loc, REG_UNKNOWN);
        }
    }
    fg_msg_free (&env);
}

static void
s_unregister_all (s_agent_t *self)
{
    Fogrid__LocUnregister unregister = FOGRID__LOC_UNREGISTER__INIT;
    unregister.owner = self->owner;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_UNREGISTER;
    env.loc_unregister = &unregister;
    for (size_t i = 0; i < self->count; i++) {
        zsock_set_sndtimeo (self->locators [i].sock, 100);
        fg_msg_send (self->locators [i].sock, NULL, &env);
    }
    //  Give the unregisters a moment to leave before the sockets close
    zclock_sleep (20);
}

static void
s_handle_pipe (s_agent_t *self)
{
    zmsg_t *msg = zmsg_recv (self->pipe);
    if (!msg) {
        self->terminated = true;
        return;
    }
    char *command = zmsg_popstr (msg);
    if (streq (command, "$TERM")) {
        if (self->registration)
            s_unregister_all (self);
        self->terminated = true;
    }
    else
    if (streq (command, "SET")) {
        zframe_destroy (&self->registration);
        self->registration = zmsg_pop (msg);
        for (size_t i = 0; i < self->count; i++)
            s_send_register (self, &self->locators [i]);
    }
    else
    if (streq (command, "LOAD")) {
        char *value = zmsg_popstr (msg);
        self->load = (uint32_t) atoi (value);
        zstr_free (&value);
    }
    else
    if (streq (command, "ACKED")) {
        size_t acked = 0;
        for (size_t i = 0; i < self->count; i++)
            acked += self->locators [i].state == REG_REGISTERED;
        zsock_send (self->pipe, "8", (uint64_t) acked);
    }
    zstr_free (&command);
    zmsg_destroy (&msg);
}

static void
s_agent_actor (zsock_t *pipe, void *argsv)
{
    s_args_t *args = (s_args_t *) argsv;
    s_agent_t self = { .pipe = pipe, .ttl_ms = args->ttl_ms };
    self.owner = strdup (args->owner);
    zlist_t *endpoints = fg_split_list (args->locators);
    self.count = zlist_size (endpoints);
    self.locators = (s_locator_t *) zmalloc (sizeof (s_locator_t) * (self.count + 1));
    self.poller = zpoller_new (pipe, NULL);
    size_t index = 0;
    for (char *ep = (char *) zlist_first (endpoints); ep; ep = (char *) zlist_next (endpoints)) {
        s_locator_t *loc = &self.locators [index++];
        loc->endpoint = strdup (ep);
        loc->retry_ms = S_RETRY_MIN_MS;
        loc->sock = zsock_new (ZMQ_DEALER);
        zsock_set_linger (loc->sock, 100);
        zsock_set_immediate (loc->sock, 1);
        //  A locator that is connected but does not read (a cut link not
        //  yet noticed) must not collect a backlog of registrations to
        //  answer one by one when it comes back: a few are enough
        zsock_set_sndhwm (loc->sock, 4);
        zsock_set_heartbeat_ivl (loc->sock, 2000);
        zsock_set_heartbeat_timeout (loc->sock, 6000);
        fg_msg_limit (loc->sock, 0);
        if (fg_security_client (loc->sock, fg_security_locator_key ()))
            zsys_error ("registrant: no valid locator key (security/locator_key) for %s", ep);
        else
        if (zsock_connect (loc->sock, "%s", ep))
            zsys_error ("registrant: bad locator endpoint '%s'", ep);
        zpoller_add (self.poller, loc->sock);
    }
    zlist_destroy (&endpoints);
    zsock_signal (pipe, 0);

    int64_t next_tick = fg_now_ms ();
    uint32_t period = self.ttl_ms / 3? self.ttl_ms / 3: 1;
    int64_t next_retry = INT64_MAX;
    while (!self.terminated) {
        int64_t wake = next_retry < next_tick? next_retry: next_tick;
        int64_t wait = wake - fg_now_ms ();
        zsock_t *which = (zsock_t *) zpoller_wait (self.poller, wait > 0? (int) wait: 0);
        if (which == pipe)
            s_handle_pipe (&self);
        else
        if (which) {
            for (size_t i = 0; i < self.count; i++)
                if (self.locators [i].sock == which)
                    s_handle_locator (&self, &self.locators [i]);
        }
        else
        if (zpoller_terminated (self.poller))
            break;
        if (fg_now_ms () >= next_tick) {
            s_tick (&self);
            next_tick = fg_now_ms () + period;
        }
        next_retry = s_retry (&self);
    }
    for (size_t i = 0; i < self.count; i++) {
        zsock_destroy (&self.locators [i].sock);
        free (self.locators [i].endpoint);
    }
    free (self.locators);
    free (self.owner);
    zframe_destroy (&self.registration);
    zpoller_destroy (&self.poller);
}

fg_registrant_t *
fg_registrant_new (const char *locators, const char *owner, uint32_t ttl_ms)
{
    fg_registrant_t *self = (fg_registrant_t *) zmalloc (sizeof (fg_registrant_t));
    self->owner = strdup (owner);
    self->ttl_ms = ttl_ms? ttl_ms: 5000;
    s_args_t args = { (char *) locators, (char *) owner, self->ttl_ms };
    self->actor = zactor_new (s_agent_actor, &args);
    return self;
}

void
fg_registrant_destroy (fg_registrant_t **self_p)
{
    if (*self_p) {
        fg_registrant_t *self = *self_p;
        zactor_destroy (&self->actor);
        free (self->owner);
        free (self);
        *self_p = NULL;
    }
}

void
fg_registrant_set (fg_registrant_t *self, Fogrid__Registration **regs, size_t count)
{
    Fogrid__LocRegister reg = FOGRID__LOC_REGISTER__INIT;
    reg.owner = self->owner;
    reg.ttl_ms = self->ttl_ms;
    reg.n_regs = count;
    reg.regs = regs;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.version = FG_PROTO_VERSION;
    env.body_case = FOGRID__ENVELOPE__BODY_LOC_REGISTER;
    env.loc_register = &reg;
    for (size_t i = 0; i < count; i++)
        if (regs [i]->endpoint)
            regs [i]->endpoint->owner = self->owner;
    zframe_t *frame = zframe_new (NULL, fogrid__envelope__get_packed_size (&env));
    fogrid__envelope__pack (&env, zframe_data (frame));
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "SET");
    zmsg_append (msg, &frame);
    zmsg_send (&msg, self->actor);
}

void
fg_registrant_load (fg_registrant_t *self, uint32_t load)
{
    char value [16];
    snprintf (value, sizeof value, "%u", load);
    zstr_sendx (self->actor, "LOAD", value, NULL);
}

size_t
fg_registrant_acked (fg_registrant_t *self)
{
    zstr_send (self->actor, "ACKED");
    uint64_t acked = 0;
    zsock_recv (self->actor, "8", &acked);
    self->acked = (size_t) acked;
    return self->acked;
}
