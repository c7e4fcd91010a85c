/*  =========================================================================
    hub_watch - which connections of a ROUTER closed, as they close

    DESIGN
    libzmq 4.3 as Debian builds it has no ZMQ_ROUTER_NOTIFY (a draft
    option, refused at run time), so the close comes from the socket
    monitor: ZMQ_EVENT_DISCONNECTED, whose value is the connection's file
    descriptor, read from an inproc PAIR in the hub's own loop (no
    thread). The descriptor a message came on is its "__fd" property
    (what ZMQ_SRCFD reads), on the message's body: the routing frame has
    it only when no poll looked at the message first, so hub_watch_recv
    takes it from fg_msg (fg_msg_last_fd) and remembers it for that
    routing frame (one per thread: the frame being handled now).

    A socket has one monitor, and on a CurveZMQ hub fg_zap's already
    counts the handshakes the socket refuses (fg_zap_watch): this one
    takes its place (libzmq stops the first) and counts them instead, by
    the same rule (fg_refused_classify), keys ZAP refused among them: the
    role stays watched, so the ZAP handler does not count them again.

    Events are kept by the PAIR until read (a high water mark far above
    any burst of closes): a close that is dropped all the same leaves that
    miner to its silence.
    =========================================================================  */
#include "fogrid.h"
#include "hub_watch.h"

#define S_EVENTS_HWM    200000      //  closes held until the loop reads them

struct _hub_watch_t {
    zsock_t *router;            //  watched (not owned)
    zsock_t *events;            //  PAIR reading the monitor's events
    char *role;                 //  for the log: "miners"
    uint64_t refused [FG_REFUSED_REASONS];  //  failed handshakes, by reason
};

//  The routing frame last received on this thread, and its descriptor
static _Thread_local zframe_t *s_last_peer = NULL;
static _Thread_local int s_last_fd = -1;

static int
s_frame_fd (zframe_t *frame)
{
    const char *fd = frame? zframe_meta (frame, "__fd"): NULL;
    return fd && *fd? atoi (fd): -1;
}

hub_watch_t *
hub_watch_new (zsock_t *router, const char *role)
{
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://hub-watch-%p", (void *) router);
    if (zmq_socket_monitor (zsock_resolve (router), endpoint, ZMQ_EVENT_DISCONNECTED
                            | FG_REFUSED_EVENTS)) {
        zsys_warning ("hub: cannot watch the miners' connections (%s): a killed miner is found "
                      "by its silence only", zmq_strerror (zmq_errno ()));
        return NULL;
    }
    hub_watch_t *self = (hub_watch_t *) zmalloc (sizeof (hub_watch_t));
    self->router = router;
    self->role = strdup (role);
    self->events = zsock_new (ZMQ_PAIR);
    zsock_set_rcvhwm (self->events, S_EVENTS_HWM);
    zsock_set_linger (self->events, 0);
    if (zsock_connect (self->events, "%s", endpoint)) {
        zsys_warning ("hub: cannot read the miners' connection events: a killed miner is found "
                      "by its silence only");
        zmq_socket_monitor (zsock_resolve (router), NULL, 0);
        zsock_destroy (&self->events);
        free (self->role);
        free (self);
        return NULL;
    }
    return self;
}

void
hub_watch_destroy (hub_watch_t **self_p)
{
    if (*self_p) {
        hub_watch_t *self = *self_p;
        zmq_socket_monitor (zsock_resolve (self->router), NULL, 0);
        zsock_destroy (&self->events);
        free (self->role);
        free (self);
        *self_p = NULL;
    }
}

int
hub_watch_next (hub_watch_t *self)
{
    if (!self)
        return -1;
    while (zsock_events (self->events) & ZMQ_POLLIN) {
        zmsg_t *msg = zmsg_recv (self->events);
        if (!msg)
            return -1;
        zframe_t *frame = zmsg_first (msg);
        int fd = -1;
        if (frame && zframe_size (frame) == 6) {
            uint16_t event;
            uint32_t value;
            memcpy (&event, zframe_data (frame), 2);
            memcpy (&value, zframe_data (frame) + 2, 4);
            if (event == ZMQ_EVENT_DISCONNECTED)
                fd = (int) value;
            int reason = fg_refused_classify (event, value);
            if (reason >= 0) {
                char where [80];
                snprintf (where, sizeof where, "the %s socket", self->role);
                fg_refused_log (where, (fg_refused_t) reason, ++self->refused [reason]);
            }
        }
        zmsg_destroy (&msg);
        if (fd >= 0)
            return fd;
    }
    return -1;
}

uint64_t
hub_watch_refused (hub_watch_t *self, fg_refused_t reason)
{
    if (!self || reason < 0 || reason >= FG_REFUSED_REASONS)
        return 0;
    return self->refused [reason];     //  as of the loop's last look (each turn)
}

fg_env_t *
hub_watch_recv (zsock_t *router, zframe_t **peer_p, char *key, uint64_t *seq_p)
{
    fg_env_t *env = fg_msg_recv_request (router, peer_p, key, seq_p, "miner socket");
    s_last_peer = *peer_p;
    s_last_fd = fg_msg_last_fd ();
    return env;
}

int
hub_watch_fd (zframe_t *frame)
{
    if (frame && frame == s_last_peer && s_last_fd >= 0)
        return s_last_fd;
    return s_frame_fd (frame);
}
