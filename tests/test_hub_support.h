/*  =========================================================================
    test_hub_support - what the hub's money suites share: the books in a
    temp dir, requests to a hub actor, a fake miner on its miner socket,
    and the fogrid command line against a hub started as a process

    Built with the hub's suites (its name starts as theirs do), so it may
    use the hub's classes.
    =========================================================================  */
#ifndef TEST_HUB_SUPPORT_H_INCLUDED
#define TEST_HUB_SUPPORT_H_INCLUDED

#include "test_support.h"
#include "hub_store.h"
#include "hub_ledger.h"

//  ---------------------------------------------------------------------
//  The store and the ledger in a directory, laid out as the hub lays
//  them out (the ledger's key in DIR/keys/hub.sign)

typedef struct {
    char *dir;                  //  DATA_DIR
    hub_store_t *store;
    hub_ledger_t *ledger;
} th_books_t;

//  Opens both (a failure ends the test, saying why).
void th_books_open (th_books_t *books, const char *dir);
void th_books_close (th_books_t *books);

//  An account's balance (asserted to be readable).
int64_t th_balance (hub_ledger_t *ledger, const char *account);

//  Runs SQL on a closed hub's database, as someone with the file would.
void th_sql (const char *dir, const char *sql);

//  ---------------------------------------------------------------------
//  A hub actor (hub_server) talked to over DEALERs

//  The settings the suites start a hub actor with: loopback sockets on
//  any port, data in dir, no locator, heartbeats slow enough that a
//  loaded machine loses no fake miner, deposits open. The caller adds
//  its own and destroys it.
fg_config_t *th_hub_config (const char *dir);

//  Sends a request with the next seq and waits for its reply (NULL when
//  none comes within the socket's timeout).
fg_env_t *th_call (zsock_t *sock, fg_env_t *request);

//  Submits `sh -c command` with that many retries; returns the task id
//  (caller frees), or NULL saying the hub's error on stderr.
char *th_submit (zsock_t *buyer, const char *command, uint32_t retries);

//  The task's TaskInfo (anything else ends the test).
fg_env_t *th_status (zsock_t *buyer, const char *task_id);

//  ---------------------------------------------------------------------
//  A fake miner: a DEALER on the hub's miner socket that says what a
//  miner says, one message at a time

typedef struct {
    zsock_t *sock;
    char id [32];
} th_fake_t;

//  Connects to the miner socket at port, as miner id (3 s receive timeout).
void th_fake_connect (th_fake_t *fake, int port, const char *id);
void th_fake_close (th_fake_t *fake);

//  Sends a hello (4 cores, 4 GiB, the process runtime, at price); does
//  not wait for the welcome.
void th_fake_hello (th_fake_t *fake, uint64_t price);

//  The next message of that type from the hub (others are dropped), or
//  NULL after the receive timeout.
fg_env_t *th_fake_expect (th_fake_t *fake, int body_case);

//  Waits for the next TaskAssign; returns its task id (caller frees).
char *th_fake_assigned (th_fake_t *fake, uint32_t *attempt);

//  Reports the attempt ended with exit_code and waits for the hub's Ok;
//  returns its receipt (caller frees; "" when none).
char *th_fake_result (th_fake_t *fake, const char *task_id, uint32_t attempt, int exit_code);

//  The same with what the attempt printed (a fake miner may lie about it:
//  the court's suites make one that does).
char *th_fake_result_out (th_fake_t *fake, const char *task_id, uint32_t attempt,
                          int exit_code, const char *out);

//  ---------------------------------------------------------------------
//  The fogrid command line against a hub's buyer socket

typedef struct {
    int port;                   //  the hub's buyer port on 127.0.0.1
    bool secure;                //  CurveZMQ (else --insecure)
    char hub_key [700];         //  the hub's public key file
    char keys [700];            //  the key pair used when a call names none
} th_cli_t;

//  Runs `fogrid COMMAND` as the buyer whose key pair is keys ("" for
//  cli->keys); returns its exit status, *output (if given) its text.
int th_cli (th_cli_t *cli, char **output, const char *keys, const char *format, ...)
    __attribute__ ((format (printf, 4, 5)));

//  Submits with the CLI (args as `fogrid submit` takes them); returns the
//  task id (caller frees), or NULL saying why on stderr.
char *th_cli_submit (th_cli_t *cli, const char *keys, const char *args);

//  An account's balance from `fogrid wallet [--account A]` ("" for the
//  caller's own), or -1 saying why on stderr.
int64_t th_cli_balance (th_cli_t *cli, const char *keys, const char *account);

//  The number after label in text (the CLI's `balance   N` lines), or -1.
int64_t th_number_after (const char *text, const char *label);

#endif
