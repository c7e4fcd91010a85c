/*  =========================================================================
    fg_curve - CurveZMQ for fogrid: key pairs, secure sockets, and the ZAP
    handler that admits peers by role

    DESIGN
    czmq's zauth keeps one certificate store for the whole process, but a
    fogrid hub must admit buyers' keys on its buyer socket and miners' keys
    on its miner socket, and never one for the other. So this handler
    speaks ZAP (RFC 27) itself: each server socket carries its role as the
    ZAP domain, and each role has its own certificate store. The handler is
    an actor bound to the well-known inproc endpoint; libzmq asks it about
    every new connection before any message flows.

    How a connection ended is read from a socket monitor, one event per
    connection, and classified by its kind and value alone (libzmq 4.3):
        HANDSHAKE_SUCCEEDED                         admitted
        HANDSHAKE_FAILED_AUTH (the ZAP status)      key: ZAP said no
        HANDSHAKE_FAILED_PROTOCOL
            ZMTP_MECHANISM_MISMATCH                 plaintext: its greeting
                                                    named NULL or PLAIN
            ZMTP_CRYPTOGRAPHIC, any other           handshake: another server
                                                    key, bad boxes, bad commands
        HANDSHAKE_FAILED_NO_DETAIL (errno)          handshake: gone before the
                                                    server could read its mechanism
    libzmq raises exactly one of these per connection of a CURVE server
    (a protocol error is reported where it happens and not again at the
    end), so a connection is counted once, whatever else happens around
    it. The ZAP handler used to count its own refusals as well: a client
    that hung up while its refusal was on the way was then counted twice
    (key and handshake), or under either name depending on which came
    first. Now it counts only for roles with no watched socket, which
    have no monitor to ask. A client that hangs up before its greeting
    arrives is a broken handshake: no one can tell what it would have
    spoken. The handler's actor owns one PAIR per watched socket.

    The actor is asked through one pipe; a mutex keeps two threads of a
    process (two servers) from talking over each other on it.
    =========================================================================  */
#include "fogrid.h"
#include "fg_curve.h"
#include <sys/stat.h>
#include <errno.h>
#include <pthread.h>

#define ZAP_ENDPOINT "inproc://zeromq.zap.01"

zcert_t *
fg_curve_keys (const char *path, bool create, char *err, size_t err_size)
{
    char secret [1024];
    snprintf (secret, sizeof secret, "%s_secret", path);
    if (zsys_file_exists (secret)) {
        zcert_t *cert = zcert_load (path);
        if (!cert || !fg_curve_key_valid (zcert_public_txt (cert))) {
            snprintf (err, err_size, "%s: not a valid key pair", path);
            zcert_destroy (&cert);
            return NULL;
        }
        struct stat st;
        if (stat (secret, &st) == 0 && (st.st_mode & 077))
            zsys_warning ("keys: %s can be read by others; chmod 600 it", secret);
        return cert;
    }
    if (!create) {
        snprintf (err, err_size, "%s: no key pair (run `fogrid keygen %s`)", path, path);
        return NULL;
    }
    //  The directory is made private; the secret file too, before it is written
    char *dir = strdup (path);
    char *slash = strrchr (dir, '/');
    if (slash) {
        *slash = 0;
        if (*dir && zsys_dir_create ("%s", dir)) {
            snprintf (err, err_size, "cannot create %s: %s", dir, strerror (errno));
            free (dir);
            return NULL;
        }
    }
    free (dir);
    zcert_t *cert = zcert_new ();
    zcert_set_meta (cert, "created-by", "fogrid %s", FG_VERSION_STRING);
    mode_t old = umask (077);
    int rc = zcert_save (cert, path);
    umask (old);
    if (rc) {
        snprintf (err, err_size, "cannot write %s: %s", path, strerror (errno));
        zcert_destroy (&cert);
        return NULL;
    }
    chmod (secret, 0600);
    chmod (path, 0644);
    zsys_info ("keys: created a new key pair in %s", path);
    return cert;
}

bool
fg_curve_key_valid (const char *text)
{
    if (!text || strlen (text) != 40)
        return false;
    byte raw [32];
    return zmq_z85_decode (raw, text) != NULL;
}

void
fg_curve_server (zsock_t *sock, zcert_t *cert, const char *role)
{
    zcert_apply (cert, sock);
    zsock_set_curve_server (sock, 1);
    zsock_set_zap_domain (sock, role);
}

void
fg_curve_client (zsock_t *sock, zcert_t *cert, const char *server_key)
{
    zcert_apply (cert, sock);
    zsock_set_curve_serverkey (sock, server_key);
}

//  ---------------------------------------------------------------------
//  The ZAP handler

typedef struct {
    char *name;                 //  role, the ZAP domain
    zcertstore_t *store;        //  admitted keys, NULL = any key (once allowed)
    bool allowed;               //  ALLOW or ANY said who may come; a role only
                                //  counted (a watched socket's) admits no one
    bool watched;               //  its sockets' monitors count its connections
    uint64_t admitted;          //  connections let in
    uint64_t refused [FG_REFUSED_REASONS];  //  connections turned away, by reason
} s_role_t;

struct _fg_zap_t {
    zactor_t *actor;            //  the handler
    pthread_mutex_t mutex;      //  one conversation on its pipe at a time
    unsigned watches;           //  to name each monitor's endpoint
};

static const char *s_refused_names [FG_REFUSED_REASONS] = { "key", "plaintext", "handshake" };

const char *
fg_refused_name (fg_refused_t reason)
{
    return reason < FG_REFUSED_REASONS? s_refused_names [reason]: "?";
}

static s_role_t *
s_role_find (zlistx_t *roles, const char *name)
{
    for (s_role_t *role = (s_role_t *) zlistx_first (roles); role;
         role = (s_role_t *) zlistx_next (roles))
        if (streq (role->name, name))
            return role;
    return NULL;
}

static s_role_t *
s_role_require (zlistx_t *roles, const char *name)
{
    s_role_t *role = s_role_find (roles, name);
    if (!role) {
        role = (s_role_t *) zmalloc (sizeof (s_role_t));
        role->name = strdup (name);
        zlistx_add_end (roles, role);
    }
    return role;
}

//  Answers one ZAP request. Returns 0, or -1 if the request was not ZAP.
static int
s_zap_handle (zsock_t *handler, zlistx_t *roles)
{
    zmsg_t *request = zmsg_recv (handler);
    if (!request)
        return -1;
    char *version = zmsg_popstr (request);
    char *sequence = zmsg_popstr (request);
    char *domain = zmsg_popstr (request);
    char *address = zmsg_popstr (request);
    char *identity = zmsg_popstr (request);
    char *mechanism = zmsg_popstr (request);
    zframe_t *key = zmsg_pop (request);

    const char *status = "400", *text = "no such role";
    char user [41] = "";
    s_role_t *role = domain? s_role_find (roles, domain): NULL;
    if (mechanism && streq (mechanism, "NULL")) {
        //  A plain-text socket (security/insecure): nothing to check
        status = "200";
        text = "OK";
    }
    else
    if (role && role->allowed && mechanism && streq (mechanism, "CURVE") && key
    &&  zframe_size (key) == 32) {
        zmq_z85_encode (user, zframe_data (key), 32);
        if (!role->store || zcertstore_lookup (role->store, user)) {
            status = "200";
            text = "OK";
            if (!role->watched)
                role->admitted++;
        }
        else {
            text = "key not admitted for this role";
            if (!role->watched)
                role->refused [FG_REFUSED_KEY]++;
            zsys_warning ("zap: refused key %s from %s for role %s", user, address, domain);
        }
    }
    else {
        if (role && !role->watched)
            role->refused [FG_REFUSED_KEY]++;
        zsys_warning ("zap: refused %s connection from %s for role '%s'",
                      mechanism? mechanism: "?", address? address: "?", domain? domain: "");
    }
    zmsg_t *reply = zmsg_new ();
    zmsg_addstr (reply, "1.0");
    zmsg_addstr (reply, sequence? sequence: "");
    zmsg_addstr (reply, status);
    zmsg_addstr (reply, text);
    zmsg_addstr (reply, user);
    zmsg_addmem (reply, NULL, 0);
    zmsg_send (&reply, handler);

    zstr_free (&version);
    zstr_free (&sequence);
    zstr_free (&domain);
    zstr_free (&address);
    zstr_free (&identity);
    zstr_free (&mechanism);
    zframe_destroy (&key);
    zmsg_destroy (&request);
    return 0;
}

static void
s_role_destroy (void **item)
{
    s_role_t *role = (s_role_t *) *item;
    zcertstore_destroy (&role->store);
    free (role->name);
    free (role);
    *item = NULL;
}

//  A watched server socket: the PAIR its monitor talks to, and its role
typedef struct {
    zsock_t *pair;
    char *role;
} s_watch_t;

static void
s_watch_destroy (void **item)
{
    s_watch_t *watch = (s_watch_t *) *item;
    zsock_destroy (&watch->pair);
    free (watch->role);
    free (watch);
    *item = NULL;
}

int
fg_refused_classify (uint16_t event, uint32_t value)
{
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        return FG_REFUSED_KEY;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL)
        return value == ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH
             ? FG_REFUSED_PLAINTEXT: FG_REFUSED_HANDSHAKE;
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)
        return FG_REFUSED_HANDSHAKE;
    return -1;
}

void
fg_refused_log (const char *where, fg_refused_t reason, uint64_t count)
{
    uint64_t mark = 1;
    while (mark < count && mark < UINT64_MAX / 10)
        mark *= 10;
    if (count == mark)
        zsys_warning ("zap: %" PRIu64 " connection%s refused for %s so far: %s",
                      count, count == 1? "": "s", where,
                      reason == FG_REFUSED_PLAINTEXT
                      ? "plain text (a client without CurveZMQ)"
                      : reason == FG_REFUSED_KEY
                      ? "a key this role does not admit"
                      : "a CurveZMQ handshake that failed or was broken off");
}

//  One event of a watched socket: a frame of event (u16) + value (u32),
//  then the endpoint. Returns false when the monitor has stopped (its
//  socket is closed): the watch is then over.
static bool
s_watch_event (s_watch_t *watch, zlistx_t *roles)
{
    zmsg_t *msg = zmsg_recv (watch->pair);
    if (!msg)
        return true;
    zframe_t *frame = zmsg_first (msg);
    bool going = true;
    if (frame && zframe_size (frame) >= 6) {
        uint16_t event;
        uint32_t value;
        memcpy (&event, zframe_data (frame), 2);
        memcpy (&value, zframe_data (frame) + 2, 4);
        int reason = fg_refused_classify (event, value);
        if (event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED)
            s_role_require (roles, watch->role)->admitted++;
        else
        if (event == ZMQ_EVENT_MONITOR_STOPPED)
            going = false;
        if (reason >= 0) {
            s_role_t *role = s_role_require (roles, watch->role);
            char where [80];
            snprintf (where, sizeof where, "role '%s'", watch->role);
            fg_refused_log (where, (fg_refused_t) reason, ++role->refused [reason]);
        }
    }
    zmsg_destroy (&msg);
    return going;
}

static void
s_zap_actor (zsock_t *pipe, void *args)
{
    (void) args;
    zsock_t *handler = zsock_new (ZMQ_REP);
    int rc = zsock_bind (handler, ZAP_ENDPOINT);
    zlistx_t *roles = zlistx_new ();
    zlistx_set_destructor (roles, s_role_destroy);
    zlistx_t *watches = zlistx_new ();
    zlistx_set_destructor (watches, s_watch_destroy);
    zpoller_t *poller = zpoller_new (pipe, handler, NULL);
    zsock_signal (pipe, rc? 1: 0);
    while (rc == 0) {
        void *which = zpoller_wait (poller, -1);
        s_watch_t *watch = NULL;
        if (which && which != pipe && which != handler)
            for (watch = (s_watch_t *) zlistx_first (watches); watch && watch->pair != which;
                 watch = (s_watch_t *) zlistx_next (watches))
                ;
        if (watch) {
            if (!s_watch_event (watch, roles)) {
                zpoller_remove (poller, watch->pair);
                zlistx_delete (watches, zlistx_cursor (watches));
            }
        }
        else
        if (which == handler)
            s_zap_handle (handler, roles);
        else
        if (which == pipe) {
            zmsg_t *msg = zmsg_recv (pipe);
            if (!msg)
                break;
            char *command = zmsg_popstr (msg);
            char *name = zmsg_popstr (msg);
            if (streq (command, "$TERM")) {
                zstr_free (&command);
                zstr_free (&name);
                zmsg_destroy (&msg);
                break;
            }
            if (streq (command, "ALLOW")) {
                char *directory = zmsg_popstr (msg);
                s_role_t *role = s_role_require (roles, name);
                zcertstore_destroy (&role->store);
                role->store = zcertstore_new (directory);
                role->allowed = true;
                zstr_free (&directory);
                zsock_signal (pipe, 0);
            }
            else
            if (streq (command, "ANY")) {
                s_role_t *role = s_role_require (roles, name);
                zcertstore_destroy (&role->store);
                role->allowed = true;
                zsock_signal (pipe, 0);
            }
            else
            if (streq (command, "WATCH")) {
                //  The monitor is bound by now: connect before any client can
                char *endpoint = zmsg_popstr (msg);
                s_watch_t *watch = (s_watch_t *) zmalloc (sizeof (s_watch_t));
                watch->pair = zsock_new (ZMQ_PAIR);
                watch->role = strdup (name);
                s_role_require (roles, name)->watched = true;
                if (endpoint && zsock_connect (watch->pair, "%s", endpoint) == 0) {
                    zlistx_add_end (watches, watch);
                    zpoller_add (poller, watch->pair);
                }
                else {
                    zsys_error ("zap: cannot watch the handshakes of role '%s'", name);
                    s_watch_destroy ((void **) &watch);
                }
                zstr_free (&endpoint);
                zsock_signal (pipe, 0);
            }
            else
            if (streq (command, "COUNT")) {
                s_role_t *role = s_role_find (roles, name);
                uint64_t none [FG_REFUSED_REASONS] = { 0 };
                uint64_t *refused = role? role->refused: none;
                zsock_send (pipe, "8888", role? role->admitted: 0, refused [FG_REFUSED_KEY],
                            refused [FG_REFUSED_PLAINTEXT], refused [FG_REFUSED_HANDSHAKE]);
            }
            zstr_free (&command);
            zstr_free (&name);
            zmsg_destroy (&msg);
        }
        else
            break;
    }
    zpoller_destroy (&poller);
    zlistx_destroy (&watches);
    zlistx_destroy (&roles);
    zsock_destroy (&handler);
}

fg_zap_t *
fg_zap_new (void)
{
    fg_zap_t *self = (fg_zap_t *) zmalloc (sizeof (fg_zap_t));
    pthread_mutex_init (&self->mutex, NULL);
    self->actor = zactor_new (s_zap_actor, NULL);
    return self;
}

void
fg_zap_destroy (fg_zap_t **self_p)
{
    if (*self_p) {
        fg_zap_t *self = *self_p;
        zactor_destroy (&self->actor);
        pthread_mutex_destroy (&self->mutex);
        free (self);
        *self_p = NULL;
    }
}

void
fg_zap_allow (fg_zap_t *self, const char *role, const char *directory)
{
    pthread_mutex_lock (&self->mutex);
    zstr_sendx (self->actor, "ALLOW", role, directory, NULL);
    zsock_wait (self->actor);
    pthread_mutex_unlock (&self->mutex);
}

void
fg_zap_allow_any (fg_zap_t *self, const char *role)
{
    pthread_mutex_lock (&self->mutex);
    zstr_sendx (self->actor, "ANY", role, NULL);
    zsock_wait (self->actor);
    pthread_mutex_unlock (&self->mutex);
}

void
fg_zap_watch (fg_zap_t *self, zsock_t *sock, const char *role)
{
    pthread_mutex_lock (&self->mutex);
    char endpoint [128];
    snprintf (endpoint, sizeof endpoint, "inproc://fg-zap-watch-%p-%u", (void *) self,
              ++self->watches);
    if (zmq_socket_monitor (zsock_resolve (sock), endpoint,
                            ZMQ_EVENT_HANDSHAKE_SUCCEEDED
                            | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                            | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                            | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                            | ZMQ_EVENT_MONITOR_STOPPED) == 0) {
        zstr_sendx (self->actor, "WATCH", role, endpoint, NULL);
        zsock_wait (self->actor);
    }
    else
        zsys_error ("zap: cannot monitor the sockets of role '%s': %s", role,
                    zmq_strerror (zmq_errno ()));
    pthread_mutex_unlock (&self->mutex);
}

static void
s_counts (fg_zap_t *self, const char *role, uint64_t *admitted, uint64_t *refused)
{
    pthread_mutex_lock (&self->mutex);
    zstr_sendx (self->actor, "COUNT", role, NULL);
    zsock_recv (self->actor, "8888", admitted, &refused [FG_REFUSED_KEY],
                &refused [FG_REFUSED_PLAINTEXT], &refused [FG_REFUSED_HANDSHAKE]);
    pthread_mutex_unlock (&self->mutex);
}

uint64_t
fg_zap_admitted (fg_zap_t *self, const char *role)
{
    uint64_t admitted = 0, refused [FG_REFUSED_REASONS] = { 0 };
    s_counts (self, role, &admitted, refused);
    return admitted;
}

uint64_t
fg_zap_refused (fg_zap_t *self, const char *role)
{
    uint64_t admitted = 0, refused [FG_REFUSED_REASONS] = { 0 }, total = 0;
    s_counts (self, role, &admitted, refused);
    for (int reason = 0; reason < FG_REFUSED_REASONS; reason++)
        total += refused [reason];
    return total;
}

uint64_t
fg_zap_refused_for (fg_zap_t *self, const char *role, fg_refused_t reason)
{
    uint64_t admitted = 0, refused [FG_REFUSED_REASONS] = { 0 };
    s_counts (self, role, &admitted, refused);
    return reason < FG_REFUSED_REASONS? refused [reason]: 0;
}
