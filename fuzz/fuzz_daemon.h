/*  =========================================================================
    fuzz_daemon - what the fuzz targets that drive a whole daemon share

    fuzz_hub and fuzz_miner start the real daemon as an actor and talk to
    it over its sockets; they fill in, in each decoded message, what the
    fuzzer cannot guess (a task id the daemon made), and put the message's
    own strings back before it is freed.
    =========================================================================  */
#ifndef FUZZ_DAEMON_H_INCLUDED
#define FUZZ_DAEMON_H_INCLUDED

//  Says why (prefixed by the target's name) on stderr and stops as a
//  crash, so libFuzzer keeps the input.
void fuzz_fail (const char *format, ...) __attribute__ ((format (printf, 1, 2), noreturn));

//  The target's name for fuzz_fail, and its logs: the daemons log every
//  refusal, which is not wanted unless FUZZ_LOG is set (to follow a
//  finding). Call once, first.
void fuzz_start (const char *name);

//  Makes a private directory for the daemon's data (in /dev/shm when
//  there is one: no disk writes) into path; fuzz_remove takes it away.
void fuzz_tmpdir (char *path, size_t size);
void fuzz_remove (const char *path);

//  Turns CurveZMQ on for the process, with a new key pair for the daemon
//  in DIR/keys/NAME.key (its public key: fg_security_public_key). defs
//  is the daemon's config table.
void fuzz_keys (const fg_cfg_def_t *defs, const char *dir, const char *name);

//  Strings put into a decoded message in place of its own
typedef struct {
    struct {
        char **field;
        char *original;
        char *value;
    } patches [64];
    size_t count;
} fuzz_patches_t;

//  Puts value (taken over) in *field; ignored past 64 patches.
void fuzz_patch (fuzz_patches_t *self, char **field, char *value);

//  Puts the message's own strings back and frees the values.
void fuzz_unpatch (fuzz_patches_t *self);

#endif
