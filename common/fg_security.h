/*  =========================================================================
    fg_security - the process's security settings, applied to every socket

    A daemon calls fg_security_init once with its config: from then on every
    server socket it makes is a CurveZMQ server for a role, and every client
    socket a CurveZMQ client that must know its server's public key. With
    `security/insecure` set (or in a process that never calls init, such as
    a unit test), sockets stay plain text. The settings below are shared by
    every daemon's config table (FG_SECURITY_DEFS).
    =========================================================================  */
#ifndef FG_SECURITY_H_INCLUDED
#define FG_SECURITY_H_INCLUDED

#define FG_SECURITY_DEFS \
    { "security/insecure", FG_CFG_BOOL, "0", 0, 0, \
      "plain-text sockets, no keys checked: for a local try-out only" }, \
    { "security/keys", FG_CFG_STR, "", 0, 0, \
      "this daemon's key pair file (made on first start); empty = DATA_DIR/keys/NAME.key" }, \
    { "security/locator_key", FG_CFG_STR, "", 0, 0, \
      "the locators' public key (Z85), or the path of a public key file" }

//  Sets up keys and the ZAP handler. default_keys is used when
//  security/keys is empty. Daemons warn loudly when insecure (quiet =
//  false); the command line, whose user asked for it, does not. Returns
//  0, or -1 with the reason in err.
int fg_security_init (fg_config_t *config, const char *default_keys, bool quiet,
                      char *err, size_t err_size);
void fg_security_term (void);

bool fg_security_insecure (void);

//  This process's public key (Z85), or "" when insecure.
const char *fg_security_public_key (void);

//  This process's key pair (to sign with: fg_hub_record_sign), or NULL
//  when insecure.
zcert_t *fg_security_cert (void);

//  The locators' public key from the config, or "".
const char *fg_security_locator_key (void);

//  Admits the keys in directory (or any key if directory is empty) on
//  server sockets of role.
void fg_security_allow (const char *role, const char *directory);

//  Connections admitted / refused for role since start; refused for
//  one reason (fg_curve.h: key, plaintext, handshake).
uint64_t fg_security_refused (const char *role);
uint64_t fg_security_refused_for (const char *role, fg_refused_t reason);
uint64_t fg_security_admitted (const char *role);

//  Prepares a server socket of role (before bind): a CurveZMQ server
//  whose refused connections are counted, plain-text clients too.
void fg_security_server (zsock_t *sock, const char *role);

//  Prepares a client socket (before connect) for a server with the given
//  public key. Returns -1 when security is on and the key is missing or
//  not a key.
int fg_security_client (zsock_t *sock, const char *server_key);

//  Reads a key given as Z85 text or as a file holding a certificate or
//  the key itself into key (41 bytes). Returns 0 or -1.
int fg_security_read_key (const char *text_or_path, char *key);

#endif
