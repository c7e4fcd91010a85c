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
    =========================================================================  */
#include "fogrid.h"
#include "fg_curve.h"
#include <sys/stat.h>
#include <errno.h>

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
    zcertstore_t *store;        //  admitted keys, NULL = any key
    uint64_t admitted;          //  connections let in
    uint64_t refused;           //  connections turned away
} s_role_t;

struct _fg_zap_t {
    zactor_t *actor;            //  the handler
};

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
    if (role && mechanism && streq (mechanism, "CURVE") && key && zframe_size (key) == 32) {
        zmq_z85_encode (user, zframe_data (key), 32);
        if (!role->store || zcertstore_lookup (role->store, user)) {
            status = "200";
            text = "OK";
            role->admitted++;
        }
        else {
            text = "key not admitted for this role";
            role->refused++;
            zsys_warning ("zap: refused key %s from %s for role %s", user, address, domain);
        }
    }
    else {
        if (role)
            role->refused++;
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

static void
s_zap_actor (zsock_t *pipe, void *args)
{
    (void) args;
    zsock_t *handler = zsock_new (ZMQ_REP);
    int rc = zsock_bind (handler, ZAP_ENDPOINT);
    zlistx_t *roles = zlistx_new ();
    zlistx_set_destructor (roles, s_role_destroy);
    zpoller_t *poller = zpoller_new (pipe, handler, NULL);
    zsock_signal (pipe, rc? 1: 0);
    while (rc == 0) {
        void *which = zpoller_wait (poller, -1);
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
                zstr_free (&directory);
                zsock_signal (pipe, 0);
            }
            else
            if (streq (command, "ANY")) {
                s_role_t *role = s_role_require (roles, name);
                zcertstore_destroy (&role->store);
                zsock_signal (pipe, 0);
            }
            else
            if (streq (command, "COUNT")) {
                s_role_t *role = s_role_find (roles, name);
                zsock_send (pipe, "88", role? role->admitted: 0, role? role->refused: 0);
            }
            zstr_free (&command);
            zstr_free (&name);
            zmsg_destroy (&msg);
        }
        else
            break;
    }
    zpoller_destroy (&poller);
    zlistx_destroy (&roles);
    zsock_destroy (&handler);
}

fg_zap_t *
fg_zap_new (void)
{
    fg_zap_t *self = (fg_zap_t *) zmalloc (sizeof (fg_zap_t));
    self->actor = zactor_new (s_zap_actor, NULL);
    return self;
}

void
fg_zap_destroy (fg_zap_t **self_p)
{
    if (*self_p) {
        zactor_destroy (&(*self_p)->actor);
        free (*self_p);
        *self_p = NULL;
    }
}

void
fg_zap_allow (fg_zap_t *self, const char *role, const char *directory)
{
    zstr_sendx (self->actor, "ALLOW", role, directory, NULL);
    zsock_wait (self->actor);
}

void
fg_zap_allow_any (fg_zap_t *self, const char *role)
{
    zstr_sendx (self->actor, "ANY", role, NULL);
    zsock_wait (self->actor);
}

static void
s_counts (fg_zap_t *self, const char *role, uint64_t *admitted, uint64_t *refused)
{
    zstr_sendx (self->actor, "COUNT", role, NULL);
    zsock_recv (self->actor, "88", admitted, refused);
}

uint64_t
fg_zap_admitted (fg_zap_t *self, const char *role)
{
    uint64_t admitted = 0, refused = 0;
    s_counts (self, role, &admitted, &refused);
    return admitted;
}

uint64_t
fg_zap_refused (fg_zap_t *self, const char *role)
{
    uint64_t admitted = 0, refused = 0;
    s_counts (self, role, &admitted, &refused);
    return refused;
}
