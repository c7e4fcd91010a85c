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

//  The next message of an input that is a run of [op][length][bytes]
//  from *at (a length past the end takes what is left); the clock moves
//  first by op's high five bits (fg_clock_advance: 0, 250 ms, ..., 7.5 s,
//  and 31 an hour and a bit), so the daemon's timers fire. Returns false
//  at the end of the input.
bool fuzz_next_message (const uint8_t *data, size_t size, size_t *at, uint8_t *op,
                        const uint8_t **bytes, size_t *length);

//  The settings of a miner agent (defs: miner_agent_defs) the fuzz targets
//  start: plain text, the benchmark's null runtime only (no task runs
//  anything), 4 cores and 4 GiB, no GPU, no locator, its hub at hubs,
//  its data in data, HTTP on http ("" for none). The caller adds its own.
fg_config_t *fuzz_miner_config (const fg_cfg_def_t *defs, const char *hubs, const char *data,
                                const char *id, const char *http);

//  The settings of a hub actor (defs: hub_config_defs) the fuzz targets
//  start: loopback sockets on any port, data in data, HTTP on http (""
//  for none), no locator, no rate limits (the fuzzer is one busy peer).
//  The caller adds its own.
fg_config_t *fuzz_hub_config (const fg_cfg_def_t *defs, const char *data, const char *http);

//  A ROUTER on 127.0.0.1, any port, that plays a hub to a miner: it
//  never blocks on a send nor lingers; its endpoint goes into endpoint.
zsock_t *fuzz_hub_router (char *endpoint, size_t size);

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
