/*  =========================================================================
    miner_conn - the DEALER to one hub, its monitor, and whether it is up

    DESIGN
    The monitor's word stands when there is one: a message sent before the
    hub went away may be read after its DISCONNECTED, and must not make a
    dead link look alive. Without a monitor, a message is the only sign of
    life there is. Down counts from the first loss: reconnections that
    come and go (something else on the hub's port) do not put it off.

    Each monitor gets an inproc endpoint of its own (a process-wide count):
    the address of a closed connection may be reused by the next one.
    =========================================================================  */
#include "fogrid.h"
#include "miner_conn.h"

struct _miner_conn_t {
    char tag [120];             //  log prefix, the link's
    zsock_t *dealer;            //  to the hub
    zsock_t *monitor;           //  PAIR receiving the DEALER's link events, or NULL
    char endpoint [300];        //  the hub's endpoint
    char key [64];              //  the hub's CurveZMQ key, "" in plain text
    bool up;                    //  handshake done and not disconnected since
    bool was_up;                //  this DEALER's link has been up before
    bool refused_logged;        //  a handshake refusal was logged on this link
    int64_t down_ms;            //  when the link was last seen down
};

static unsigned s_monitors;     //  names each monitor's endpoint

miner_conn_t *
miner_conn_new (const char *tag, const char *endpoint, const char *key, uint32_t heartbeat_ms,
                char *why, size_t why_size)
{
    miner_conn_t *self = (miner_conn_t *) zmalloc (sizeof (miner_conn_t));
    snprintf (self->tag, sizeof self->tag, "%s", tag);
    self->dealer = zsock_new (ZMQ_DEALER);
    zsock_set_linger (self->dealer, 0);     //  nothing is owed to a hub we leave
    zsock_set_sndtimeo (self->dealer, 0);   //  never block the loop on a send
    fg_msg_limit (self->dealer, 0);
    //  ZMTP pings: a hub that stops answering is dropped, which the monitor sees
    zsock_set_heartbeat_ivl (self->dealer, (int) heartbeat_ms);
    zsock_set_heartbeat_timeout (self->dealer, (int) heartbeat_ms * 3);
    if (fg_security_client (self->dealer, key)) {
        snprintf (why, why_size, "no valid public key for the hub at %s (security is on)",
                  endpoint);
        miner_conn_destroy (&self);
        return NULL;
    }
    char monitor [128];
    snprintf (monitor, sizeof monitor, "inproc://miner-monitor-%p-%u", (void *) self,
              __atomic_add_fetch (&s_monitors, 1, __ATOMIC_RELAXED));
    if (zmq_socket_monitor (zsock_resolve (self->dealer), monitor,
                            ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_DISCONNECTED
                            | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                            | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                            | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) == 0) {
        self->monitor = zsock_new (ZMQ_PAIR);
        zsock_connect (self->monitor, "%s", monitor);
    }
    else
        zsys_warning ("%s: cannot monitor the hub connection: %s", self->tag,
                      zmq_strerror (zmq_errno ()));
    if (zsock_connect (self->dealer, "%s", endpoint)) {
        snprintf (why, why_size, "cannot connect to '%s'", endpoint);
        miner_conn_destroy (&self);
        return NULL;
    }
    snprintf (self->endpoint, sizeof self->endpoint, "%s", endpoint);
    snprintf (self->key, sizeof self->key, "%s", key);
    self->down_ms = zclock_mono ();
    return self;
}

void
miner_conn_destroy (miner_conn_t **self_p)
{
    if (*self_p) {
        miner_conn_t *self = *self_p;
        if (self->monitor) {
            zmq_socket_monitor (zsock_resolve (self->dealer), NULL, 0);
            zsock_destroy (&self->monitor);
        }
        zsock_destroy (&self->dealer);
        free (self);
        *self_p = NULL;
    }
}

int
miner_conn_send (miner_conn_t *self, fg_env_t *env)
{
    int rc = fg_msg_send (self->dealer, NULL, env);
    if (rc)
        zsys_warning ("%s: cannot send %s to the hub at %s", self->tag,
                      fg_msg_body_name (env), self->endpoint);
    return rc;
}

fg_env_t *
miner_conn_recv (miner_conn_t *self)
{
    fg_error_t error;
    uint64_t seq;
    fg_env_t *env = fg_msg_recv (self->dealer, NULL, &error, &seq);
    if (!env) {
        zsys_warning ("%s: ignoring a message from the hub: %s", self->tag,
                      fg_strerror (error));
        return NULL;
    }
    if (!self->monitor)
        self->up = true;
    return env;
}

bool
miner_conn_readable (miner_conn_t *self)
{
    return (zsock_events (self->dealer) & ZMQ_POLLIN) != 0;
}

void
miner_conn_linger (miner_conn_t *self, int ms)
{
    zsock_set_linger (self->dealer, ms);
}

//  One event of the DEALER's monitor: a frame of event (u16) + value (u32),
//  then the endpoint.
bool
miner_conn_on_monitor (miner_conn_t *self)
{
    bool back = false;
    zmsg_t *msg = zmsg_recv (self->monitor);
    if (!msg)
        return false;
    zframe_t *frame = zmsg_first (msg);
    if (frame && zframe_size (frame) >= 6) {
        uint16_t event;
        uint32_t value;
        memcpy (&event, zframe_data (frame), 2);
        memcpy (&value, zframe_data (frame) + 2, 4);
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED) {
            zsys_info ("%s: connected to the hub at %s", self->tag, self->endpoint);
            self->up = true;
            back = self->was_up;
            self->was_up = true;
        }
        else
        if (event == ZMQ_EVENT_DISCONNECTED) {
            if (self->up) {
                zsys_warning ("%s: the connection to the hub at %s is down", self->tag,
                              self->endpoint);
                self->down_ms = zclock_mono ();
            }
            self->up = false;
        }
        else
        if (!self->refused_logged) {
            zsys_warning ("%s: the secure handshake with the hub at %s failed (event "
                          "0x%x, %u): the hub may be restarting, or its key is not the one "
                          "we know, or our key is not admitted there",
                          self->tag, self->endpoint, event, value);
            self->refused_logged = true;
        }
    }
    zmsg_destroy (&msg);
    return back;
}

bool
miner_conn_up (miner_conn_t *self)
{
    return self->up;
}

int64_t
miner_conn_down_ms (miner_conn_t *self)
{
    return self->down_ms;
}

const char *
miner_conn_endpoint (miner_conn_t *self)
{
    return self->endpoint;
}

const char *
miner_conn_key (miner_conn_t *self)
{
    return self->key;
}

zsock_t *
miner_conn_dealer (miner_conn_t *self)
{
    return self->dealer;
}

zsock_t *
miner_conn_monitor (miner_conn_t *self)
{
    return self->monitor;
}
