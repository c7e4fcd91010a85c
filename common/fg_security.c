/*  =========================================================================
    fg_security - the process's security settings, applied to every socket

    DESIGN
    Security is a property of the process, not of each call: a daemon is
    secure or (loudly) insecure as a whole, so the state lives here once,
    set by main() before any socket exists, and read by the classes that
    make sockets (fg_rpc, fg_registrant, the servers).
    =========================================================================  */
#include "fogrid.h"

static bool s_insecure = true;          //  plain text until init says otherwise
static zcert_t *s_cert = NULL;          //  this process's key pair
static fg_zap_t *s_zap = NULL;          //  the ZAP handler
static char s_locator_key [41] = "";    //  the locators' public key

int
fg_security_read_key (const char *text_or_path, char *key)
{
    *key = 0;
    if (!text_or_path || !*text_or_path)
        return -1;
    //  A path can be 40 characters of the Z85 alphabet too: a file wins
    if (fg_curve_key_valid (text_or_path) && !zsys_file_exists (text_or_path)) {
        snprintf (key, 41, "%s", text_or_path);
        return 0;
    }
    zcert_t *cert = zcert_load (text_or_path);
    if (cert) {
        snprintf (key, 41, "%s", zcert_public_txt (cert));
        zcert_destroy (&cert);
        return 0;
    }
    //  A file holding only the key
    FILE *file = fopen (text_or_path, "r");
    if (!file)
        return -1;
    char line [128] = "";
    if (fgets (line, sizeof line, file))
        line [strcspn (line, "\r\n")] = 0;
    fclose (file);
    if (!fg_curve_key_valid (line))
        return -1;
    snprintf (key, 41, "%s", line);
    return 0;
}

int
fg_security_init (fg_config_t *config, const char *default_keys, bool quiet,
                  char *err, size_t err_size)
{
    s_insecure = fg_config_bool (config, "security/insecure");
    if (s_insecure) {
        if (quiet)
            return 0;
        zsys_warning ("*** security/insecure is set: sockets are PLAIN TEXT and anyone who "
                      "can reach them is let in. Use this for a local try-out only. ***");
        return 0;
    }
    const char *keys = fg_config_str (config, "security/keys");
    if (!*keys)
        keys = default_keys;
    s_cert = fg_curve_keys (keys, true, err, err_size);
    if (!s_cert)
        return -1;
    const char *locator_key = fg_config_str (config, "security/locator_key");
    if (*locator_key && fg_security_read_key (locator_key, s_locator_key)) {
        snprintf (err, err_size, "security/locator_key: '%s' is neither a public key "
                  "nor a readable key file", locator_key);
        return -1;
    }
    s_zap = fg_zap_new ();
    return 0;
}

void
fg_security_term (void)
{
    fg_zap_destroy (&s_zap);
    zcert_destroy (&s_cert);
    s_insecure = true;
    s_locator_key [0] = 0;
}

bool
fg_security_insecure (void)
{
    return s_insecure;
}

const char *
fg_security_public_key (void)
{
    return s_cert? zcert_public_txt (s_cert): "";
}

zcert_t *
fg_security_cert (void)
{
    return s_cert;
}

const char *
fg_security_locator_key (void)
{
    return s_locator_key;
}

void
fg_security_allow (const char *role, const char *directory)
{
    if (!s_zap)
        return;
    if (directory && *directory)
        fg_zap_allow (s_zap, role, directory);
    else
        fg_zap_allow_any (s_zap, role);
}

uint64_t
fg_security_refused (const char *role)
{
    return s_zap? fg_zap_refused (s_zap, role): 0;
}

uint64_t
fg_security_refused_for (const char *role, fg_refused_t reason)
{
    return s_zap? fg_zap_refused_for (s_zap, role, reason): 0;
}

uint64_t
fg_security_admitted (const char *role)
{
    return s_zap? fg_zap_admitted (s_zap, role): 0;
}

void
fg_security_server (zsock_t *sock, const char *role)
{
    if (!s_insecure && s_cert) {
        fg_curve_server (sock, s_cert, role);
        //  Plain-text clients never reach ZAP: the socket's monitor counts them
        if (s_zap)
            fg_zap_watch (s_zap, sock, role);
    }
}

int
fg_security_client (zsock_t *sock, const char *server_key)
{
    if (s_insecure || !s_cert)
        return 0;
    if (!fg_curve_key_valid (server_key))
        return -1;
    fg_curve_client (sock, s_cert, server_key);
    return 0;
}
