/*  =========================================================================
    static_stubs - stand-ins for the two libraries Debian ships no archive
    of, for the static build of fogrid-echo-service

    libzmq can speak the GSSAPI (Kerberos) security mechanism and czmq can
    take sockets from systemd; Debian builds them with both, but has no
    libgssapi_krb5.a or libsystemd.a to link statically. The service never
    asks for either (it uses CurveZMQ or plain text, and binds its own
    socket), so these are never called with effect: every GSSAPI call
    fails (GSS_S_FAILURE), and systemd passes no sockets. Linked only into
    the static build (examples/echo-service/CMakeLists.txt).
    =========================================================================  */
#include <stddef.h>
#include <stdint.h>

#define S_GSS_COMPLETE  0u
#define S_GSS_FAILURE   (13u << 16)

typedef uint32_t s_gss_status_t;

//  gss_OID values libzmq names: no mechanism has them here
void *GSS_C_NT_HOSTBASED_SERVICE = NULL;
void *GSS_C_NT_USER_NAME = NULL;

static s_gss_status_t
s_fail (s_gss_status_t *minor)
{
    if (minor)
        *minor = 0;
    return S_GSS_FAILURE;
}

static s_gss_status_t
s_done (s_gss_status_t *minor)
{
    if (minor)
        *minor = 0;
    return S_GSS_COMPLETE;
}

s_gss_status_t gss_accept_sec_context (s_gss_status_t *minor) { return s_fail (minor); }
s_gss_status_t gss_acquire_cred (s_gss_status_t *minor) { return s_fail (minor); }
s_gss_status_t gss_init_sec_context (s_gss_status_t *minor) { return s_fail (minor); }
s_gss_status_t gss_import_name (s_gss_status_t *minor) { return s_fail (minor); }
s_gss_status_t gss_display_name (s_gss_status_t *minor) { return s_fail (minor); }
s_gss_status_t gss_wrap (s_gss_status_t *minor) { return s_fail (minor); }
s_gss_status_t gss_unwrap (s_gss_status_t *minor) { return s_fail (minor); }
s_gss_status_t gss_delete_sec_context (s_gss_status_t *minor) { return s_done (minor); }
s_gss_status_t gss_release_buffer (s_gss_status_t *minor) { return s_done (minor); }
s_gss_status_t gss_release_cred (s_gss_status_t *minor) { return s_done (minor); }
s_gss_status_t gss_release_name (s_gss_status_t *minor) { return s_done (minor); }

//  systemd socket activation: no sockets were passed
int sd_listen_fds (int unset_environment) { (void) unset_environment; return 0; }
int sd_is_socket_inet (int fd) { (void) fd; return 0; }
int sd_is_socket_unix (int fd) { (void) fd; return 0; }
