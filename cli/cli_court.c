/*  =========================================================================
    cli_court - the court's commands

    A verdict is fetched and checked as a receipt is (cli_money; both
    through cli_doc): its signature against the key it names, and that key
    against the hub's ledger key given with --hub-key (known from
    elsewhere: `fogrid admin wallet` shows it), so a verdict made by
    anyone else does not pass.
    =========================================================================  */
#include "fogrid.h"
#include "fg_verdict.h"
#include "cli_spec.h"
#include "cli_court.h"
#include "cli_doc.h"

bool
cli_court_command (const char *name)
{
    return streq (name, "challenge") || streq (name, "verdict")
        || streq (name, "verify-verdict") || streq (name, "stake");
}

bool
cli_court_offline (const char *name)
{
    return streq (name, "verify-verdict");
}

static int
s_challenge (cli_client_t *client, int argc, char **argv)
{
    if (argc != 2 || cli_wants_help (argc, argv)) {
        fprintf (cli_wants_help (argc, argv)? stdout: stderr,
                 "usage: fogrid challenge TASK\n"
                 "  within the task's challenge window: the hub holds its deposit\n"
                 "  (hub/challenge_deposit) from your balance and runs the task on two\n"
                 "  miners not involved so far. A wrong result refunds its buyer, and its\n"
                 "  miner's stake pays the checks and rewards you; a right one keeps your\n"
                 "  deposit. Follow it with fogrid status, then fogrid verdict.\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    fg_env_t *reply = NULL;
    Fogrid__Ok *ok = cli_client_challenge (client, argv [1], &reply);
    int rc = ok? 0: cli_client_failed (client, "challenge");
    if (ok)
        printf ("%s\n", ok->text);
    fg_msg_free (&reply);
    return rc;
}

static int
s_verdict (cli_client_t *client, int argc, char **argv)
{
    const char *task, *file;
    if (cli_wants_help (argc, argv) || !cli_doc_fetch_args (argc, argv, &task, &file)) {
        fprintf (cli_wants_help (argc, argv)? stdout: stderr,
                 "usage: fogrid verdict [-o FILE] TASK\n"
                 "  the hub's signed verdict on a challenged or spot-checked task (JSON):\n"
                 "  every run's output hash and what moved; check it with verify-verdict\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    fg_env_t *reply = NULL;
    Fogrid__VerdictReply *verdict = cli_client_verdict (client, task, &reply);
    int rc = verdict? cli_doc_write (verdict->verdict, file): cli_client_failed (client, "verdict");
    if (verdict && file && rc == 0)
        fprintf (stderr, "verdict on %s in %s\n", task, file);
    fg_msg_free (&reply);
    return rc;
}

static int
s_verify (int argc, char **argv)
{
    const char *file, *hub_key;
    if (cli_wants_help (argc, argv) || !cli_doc_verify_args (argc, argv, &file, &hub_key)) {
        fprintf (cli_wants_help (argc, argv)? stdout: stderr,
                 "usage: fogrid verify-verdict --hub-key KEY FILE\n"
                 "  checks a verdict (fogrid verdict -o FILE) offline: its signature, and\n"
                 "  that KEY (the hub's ledger key, hex) made it. FILE - reads stdin.\n"
                 "  Exits 0 when it holds, 1 when not.\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    char *json = cli_doc_read (file, 262144);
    if (!json)
        return 1;
    fg_verdict_t verdict;
    char err [400] = "";
    int rc = fg_verdict_parse (&verdict, json, err, sizeof err) == 0
          && fg_verdict_verify (&verdict, hub_key, err, sizeof err) == 0? 0: 1;
    if (rc == 0) {
        printf ("verdict holds: task %s %s by hub %s (%s), %zu runs, slashed %" PRId64
                ", reward %" PRId64 "\n", verdict.task_id, verdict.decision, verdict.hub_id,
                verdict.kind, verdict.n_runs, verdict.slashed, verdict.reward);
        for (size_t index = 0; index < verdict.n_runs; index++)
            printf ("  %-8s %-24s %-16s %.16s%s\n", verdict.runs [index].role,
                    verdict.runs [index].run_id, verdict.runs [index].miner_id,
                    *verdict.runs [index].hash? verdict.runs [index].hash: "(no result)",
                    *verdict.runs [index].hash? "...": "");
    }
    else
        cli_error (file, err);
    free (json);
    return rc;
}

static int
s_stake (cli_client_t *client, int argc, char **argv)
{
    const char *token_arg = NULL, *action = NULL, *miner = NULL, *amount_arg = NULL;
    bool bad = false;
    for (int index = 1; index < argc; index++) {
        if (streq (argv [index], "--token") && index + 1 < argc)
            token_arg = argv [++index];
        else
        if (argv [index][0] == '-')
            bad = true;
        else
        if (!action)
            action = argv [index];
        else
        if (!miner)
            miner = argv [index];
        else
        if (!amount_arg)
            amount_arg = argv [index];
        else
            bad = true;
    }
    uint64_t amount = 0;
    if (cli_wants_help (argc, argv) || bad || !amount_arg
    ||  !(streq (action, "deposit") || streq (action, "withdraw"))
    ||  !cli_parse_uint (amount_arg, INT64_MAX, &amount) || amount == 0) {
        fprintf (cli_wants_help (argc, argv)? stdout: stderr,
                 "usage: fogrid stake deposit|withdraw [--token T] MINER AMOUNT\n"
                 "  a miner's stake, from and back to your balance: your key must be the\n"
                 "  key the miner says hello with (run it with the same key pair). A\n"
                 "  verdict against the miner takes hub/slash_percent of it; hubs with\n"
                 "  hub/min_stake give paid work only to staked miners. It is taken back\n"
                 "  only while the miner holds no unfinished or unresolved task.\n");
        return cli_wants_help (argc, argv)? 0: 2;
    }
    char token [64];
    fg_id_new ("stake", token, sizeof token);
    fg_env_t *reply = NULL;
    bool withdraw = streq (action, "withdraw");
    Fogrid__TransferReply *done = cli_client_stake (client, miner, (int64_t) amount, withdraw,
                                                    token_arg? token_arg: token, &reply);
    int rc = done? 0: cli_client_failed (client, "stake");
    if (done)
        printf ("%s %s: stake of %s now %" PRId64 "\n", done->transfer_id,
                done->duplicate? "(already done)": withdraw? "taken back": "put down", miner,
                done->balance);
    fg_msg_free (&reply);
    return rc;
}

int
cli_court (cli_client_t *client, int argc, char **argv)
{
    if (streq (argv [0], "challenge"))
        return s_challenge (client, argc, argv);
    if (streq (argv [0], "verdict"))
        return s_verdict (client, argc, argv);
    if (streq (argv [0], "verify-verdict"))
        return s_verify (argc, argv);
    return s_stake (client, argc, argv);
}
