/*  =========================================================================
    fg_curve - CurveZMQ for fogrid: key pairs, secure sockets, and the ZAP
    handler that admits peers by role

    Every fogrid process has a key pair (created on first start, the secret
    half readable only by its owner). A server socket belongs to a role
    ("buyers", "miners", "peers", "admins") and admits only the public keys
    found in that role's directory; a client must know the server's public
    key. The ZAP handler is the one place that says yes or no, counts both,
    and tells the server which key a message came from (ZeroMQ's User-Id),
    which is what authorisation checks later rest on.
    =========================================================================  */
#ifndef FG_CURVE_H_INCLUDED
#define FG_CURVE_H_INCLUDED

//  Loads the key pair at path (public half; the secret half is
//  path + "_secret"), creating both when missing and create is true.
//  Returns NULL with the reason in err.
zcert_t *fg_curve_keys (const char *path, bool create, char *err, size_t err_size);

//  True when text is a Z85 CurveZMQ public key (40 characters).
bool fg_curve_key_valid (const char *text);

//  Makes sock a CurveZMQ server for role. Call before bind.
void fg_curve_server (zsock_t *sock, zcert_t *cert, const char *role);

//  Makes sock a CurveZMQ client of the server whose public key is given.
//  Call before connect.
void fg_curve_client (zsock_t *sock, zcert_t *cert, const char *server_key);

typedef struct _fg_zap_t fg_zap_t;

//  Starts the process's ZAP handler (one per process).
fg_zap_t *fg_zap_new (void);
void fg_zap_destroy (fg_zap_t **self_p);

//  Admits the keys in directory (certificate files, as `fogrid keygen`
//  writes them; re-read when the directory changes) for role.
void fg_zap_allow (fg_zap_t *self, const char *role, const char *directory);

//  Admits any key for role (an open grid: buyers identify themselves by
//  key but need no approval).
void fg_zap_allow_any (fg_zap_t *self, const char *role);

//  Why a connection was refused
typedef enum {
    FG_REFUSED_KEY,             //  CurveZMQ with a key the role does not admit (ZAP)
    FG_REFUSED_PLAINTEXT,       //  no CurveZMQ: the NULL or PLAIN mechanism
    FG_REFUSED_HANDSHAKE,       //  a CurveZMQ handshake that failed (another server
                                //  key, bad crypto) or was broken off before its end
    FG_REFUSED_REASONS
} fg_refused_t;

//  "key", "plaintext", "handshake"
const char *fg_refused_name (fg_refused_t reason);

//  The reason a socket monitor's event (libzmq 4.3: its kind and value)
//  is counted under, by the event alone, never by what came before; -1
//  when the event is no refusal. Every monitor of a server socket counts
//  with this, so one client is counted the same wherever it is watched.
int fg_refused_classify (uint16_t event, uint32_t value);

//  The monitor events fg_refused_classify reads (for zmq_socket_monitor)
#define FG_REFUSED_EVENTS   (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH \
                           | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL \
                           | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)

//  Logs the count'th refusal for reason on where ("role 'miners'") when
//  count is 1, 10, 100...: a client that keeps trying does not fill the log.
void fg_refused_log (const char *where, fg_refused_t reason, uint64_t count);

//  Counts the handshakes on sock (a CurveZMQ server of role) that fail
//  before the ZAP handler is asked: plain-text clients and broken
//  handshakes. Call from the socket's thread, before bind.
void fg_zap_watch (fg_zap_t *self, zsock_t *sock, const char *role);

//  Connections admitted, and refused (for every reason, or for one) so
//  far for role.
uint64_t fg_zap_admitted (fg_zap_t *self, const char *role);
uint64_t fg_zap_refused (fg_zap_t *self, const char *role);
uint64_t fg_zap_refused_for (fg_zap_t *self, const char *role, fg_refused_t reason);

#endif
