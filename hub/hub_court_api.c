/*  =========================================================================
    hub_court_api - buyers' and miners' requests to the court

    DESIGN
    A challenge is any key's that can put the deposit down (the deposit
    is what keeps challenges honest, ECM's rule), within the result's
    window. A stake belongs to a miner id and moves only for the key that
    id belongs to (the key its first hello was made with): from and back
    to that key's buyer account, so a miner's owner funds it like any
    deposit. A stake is taken back only while its miner holds no task
    that is unfinished or unresolved: it is what a verdict would take.
    =========================================================================  */
#include "fogrid.h"
#include "hub_court_api.h"

#define S_MAX_TOKEN     128

struct _hub_court_api_t {
    hub_court_t *court;         //  challenges, verdicts (not owned)
    hub_escrow_t *escrow;       //  the stake's transfers (not owned)
    hub_store_t *store;         //  miner keys, unresolved tasks (not owned)
    const hub_config_t *config;
    fg_outbox_t *outbox;        //  answers wait here for the commit (not owned)
    zsock_t *sock;              //  the buyers' ROUTER (not owned)
};

hub_court_api_t *
hub_court_api_new (hub_court_t *court, hub_escrow_t *escrow, hub_store_t *store,
                   const hub_config_t *config, fg_outbox_t *outbox, zsock_t *sock)
{
    hub_court_api_t *self = (hub_court_api_t *) zmalloc (sizeof (hub_court_api_t));
    self->court = court;
    self->escrow = escrow;
    self->store = store;
    self->config = config;
    self->outbox = outbox;
    self->sock = sock;
    return self;
}

void
hub_court_api_destroy (hub_court_api_t **self_p)
{
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

static void
s_ok (hub_court_api_t *self, zframe_t *peer, uint64_t seq, const char *text)
{
    Fogrid__Ok ok = FOGRID__OK__INIT;
    ok.text = (char *) text;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_OK;
    env.ok = &ok;
    fg_outbox_answer (self->outbox, self->sock, peer, &env);
}

static void
s_handle_challenge (hub_court_api_t *self, zframe_t *peer, uint64_t seq, const char *key,
                    const char *task_id)
{
    char why [512];
    fg_error_t rc = hub_court_challenge (self->court, task_id, key, why, sizeof why);
    if (rc)
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, rc, "%s", why);
    else
        s_ok (self, peer, seq, why);
}

static void
s_handle_verdict (hub_court_api_t *self, zframe_t *peer, uint64_t seq, const char *task_id)
{
    char *verdict = fg_text_valid (task_id, 63)? hub_court_verdict (self->court, task_id): NULL;
    if (!verdict) {
        char why [160];
        snprintf (why, sizeof why, "no verdict on task %.64s (never challenged, or still "
                  "being checked)", task_id);
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_NOT_FOUND, "%s", why);
        return;
    }
    Fogrid__VerdictReply reply = FOGRID__VERDICT_REPLY__INIT;
    reply.verdict = verdict;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_VERDICT_REPLY;
    env.verdict_reply = &reply;
    fg_outbox_answer (self->outbox, self->sock, peer, &env);
    zstr_free (&verdict);
}

static void
s_handle_stake (hub_court_api_t *self, zframe_t *peer, uint64_t seq, const char *key,
                Fogrid__StakeRequest *request)
{
    char why [512], owner [128] = "", meta [128];
    const char *miner_id = request->miner_id;
    if (!fg_text_valid (miner_id, 63) || !*miner_id || request->amount <= 0
    ||  !request->token || !*request->token || !fg_text_valid (request->token, S_MAX_TOKEN)) {
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_INVALID,
                          "stake refused: a miner id, an amount above 0 and a token are needed");
        return;
    }
    snprintf (meta, sizeof meta, "miner_key/%s", miner_id);
    hub_store_meta_get (self->store, meta, owner, sizeof owner);
    if (*owner && !streq (owner, key)) {
        snprintf (why, sizeof why, "stake refused: miner %s belongs to another key", miner_id);
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_DENIED, "%s", why);
        return;
    }
    if (request->withdraw) {
        int64_t open = hub_store_miner_unresolved (self->store, miner_id);
        if (open) {
            snprintf (why, sizeof why, "stake refused: miner %s holds %" PRId64 " unfinished or "
                      "unresolved tasks; withdraw when they are resolved", miner_id, open);
            fg_outbox_refuse (self->outbox, self->sock, peer, seq, FG_E_STATE, "%s", why);
            return;
        }
    }
    int64_t balance = 0;
    bool duplicate = false;
    char transfer_id [200];
    fg_error_t rc = hub_escrow_stake_move (self->escrow, miner_id, key, request->amount,
                                           request->withdraw, request->token, transfer_id,
                                           &balance, &duplicate, why, sizeof why);
    if (rc) {
        fg_outbox_refuse (self->outbox, self->sock, peer, seq, rc, "%s", why);
        return;
    }
    Fogrid__TransferReply reply = FOGRID__TRANSFER_REPLY__INIT;
    reply.transfer_id = transfer_id;
    reply.duplicate = duplicate;
    reply.balance = balance;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_TRANSFER_REPLY;
    env.transfer_reply = &reply;
    fg_outbox_answer (self->outbox, self->sock, peer, &env);
}

bool
hub_court_api_handle (hub_court_api_t *self, zframe_t *peer, uint64_t seq, const char *key,
                      fg_env_t *env)
{
    switch (env->body_case) {
        case FOGRID__ENVELOPE__BODY_CHALLENGE:
            s_handle_challenge (self, peer, seq, key, env->challenge->task_id);
            return true;
        case FOGRID__ENVELOPE__BODY_VERDICT:
            s_handle_verdict (self, peer, seq, env->verdict->task_id);
            return true;
        case FOGRID__ENVELOPE__BODY_STAKE:
            s_handle_stake (self, peer, seq, key, env->stake);
            return true;
        default:
            return false;
    }
}
