/*  =========================================================================
    test_hub_escrow - the money that moves with tasks, on real books: the
    hold at assignment, pay and fee at success, refunds at a requeue or a
    failure, buyers who cannot pay (with and without hub/require_funds),
    the hub's own miner, and the sweep of escrow a failed settlement left
    =========================================================================  */
#include "test_hub_rooms.h"
#include "hub_escrow.h"

typedef struct {
    th_rooms_t *rooms;          //  the books and the rooms; money before each change of a task
} s_hub_t;

static void
s_open (s_hub_t *hub, const char *dir, bool require_funds)
{
    memset (hub, 0, sizeof *hub);
    hub->rooms = th_rooms_new (dir, true, "hub/fee_percent", "10",
                               "hub/require_funds", require_funds? "1": "0", NULL);
    th_rooms_watch_money (hub->rooms);
}

static void
s_close (s_hub_t *hub)
{
    th_rooms_destroy (&hub->rooms);
}

//  A connected miner that asks price per task
static hub_miner_t *
s_miner (s_hub_t *hub, const char *id, uint64_t price)
{
    return th_rooms_miner (hub->rooms, id, "m1", 4, price);
}

//  A submitted task of buyer alice
static hub_task_t *
s_submit (s_hub_t *hub, const char *id)
{
    return th_rooms_submit (hub->rooms, id, "alice", 1);
}

static void
s_deposit (s_hub_t *hub, const char *id, int64_t amount)
{
    CU_ASSERT_EQUAL (hub_ledger_transfer (hub->rooms->th.ledger, id, "world", "buyer:alice", amount,
                                          "deposit"), HUB_LEDGER_OK);
}

//  Places task on miner as the placer does: quote, hold, assign
static int
s_place (s_hub_t *hub, hub_task_t *task, hub_miner_t *miner, char *reason, size_t size)
{
    hub_escrow_quote_t quote;
    hub_escrow_quote (hub->rooms->escrow, task, miner, &quote);
    if (!quote.placeable)
        return 1;
    if (hub_escrow_hold (hub->rooms->escrow, task, miner, &quote, reason, size))
        return 1;
    hub_tasks_assign (hub->rooms->tasks, task, miner->id, *reason? reason: NULL);
    hub_tasks_dequeue (hub->rooms->tasks, task);
    return 0;
}

static void
test_pay_and_refund (void)
{
    char *dir = ts_tmpdir_new ("hub-escrow");
    s_hub_t hub;
    s_open (&hub, dir, false);
    char account [HUB_ACCOUNT_MAX];
    hub_escrow_buyer_account ("alice", account, sizeof account);
    CU_ASSERT_STRING_EQUAL (account, "buyer:alice");
    hub_escrow_buyer_account ("", account, sizeof account);
    CU_ASSERT_STRING_EQUAL (account, "buyer:anonymous");
    s_deposit (&hub, "deposit/1", 1000);
    hub_miner_t *miner = s_miner (&hub, "m-1", 100);
    CU_ASSERT_EQUAL (hub_escrow_cheapest_ask (hub.rooms->miners, s_submit (&hub, "t-0")->spec),
                     100);

    //  Placed: the ask moves to escrow
    hub_task_t *task = s_submit (&hub, "t-1");
    char reason [256];
    CU_ASSERT_EQUAL (s_place (&hub, task, miner, reason, sizeof reason), 0);
    CU_ASSERT_STRING_EQUAL (reason, "");
    CU_ASSERT_EQUAL (hub_escrow_held (hub.rooms->escrow, "t-1"), 100);
    CU_ASSERT_EQUAL (th_balance (hub.rooms->th.ledger, "buyer:alice"), 900);
    CU_ASSERT_EQUAL (hub_escrow_total (hub.rooms->escrow), 100);

    //  Succeeded: the miner is paid, less the fee, and escrow is empty
    CU_ASSERT_EQUAL (hub_tasks_change (hub.rooms->tasks, task, HUB_TASK_SUCCEEDED, NULL), 0);
    CU_ASSERT_EQUAL (hub_escrow_held (hub.rooms->escrow, "t-1"), 0);
    CU_ASSERT_EQUAL (th_balance (hub.rooms->th.ledger, "miner:m-1"), 90);
    CU_ASSERT_EQUAL (th_balance (hub.rooms->th.ledger, "hub:fee"), 10);
    uint64_t price, billed, seconds;
    hub_escrow_charged (hub.rooms->escrow, task, &price, &billed, &seconds);
    CU_ASSERT_EQUAL (price, 100);
    CU_ASSERT_EQUAL (billed, 0);
    CU_ASSERT_TRUE (hub_escrow_payout_id ("pay/t-1"));
    CU_ASSERT_FALSE (hub_escrow_payout_id ("fee/t-1"));
    hub_tasks_retire (hub.rooms->tasks, task);

    //  Placed, then its miner is lost: refunded, and charged again at the
    //  next placement; then it fails: refunded again
    task = s_submit (&hub, "t-2");
    CU_ASSERT_EQUAL (s_place (&hub, task, miner, reason, sizeof reason), 0);
    CU_ASSERT_EQUAL (th_balance (hub.rooms->th.ledger, "buyer:alice"), 800);
    hub_tasks_change (hub.rooms->tasks, task, HUB_TASK_PENDING, "miner lost");
    CU_ASSERT_EQUAL (th_balance (hub.rooms->th.ledger, "buyer:alice"), 900);
    CU_ASSERT_EQUAL (hub_escrow_held (hub.rooms->escrow, "t-2"), 0);
    CU_ASSERT_EQUAL (s_place (&hub, task, miner, reason, sizeof reason), 0);
    CU_ASSERT_EQUAL (hub_escrow_held (hub.rooms->escrow, "t-2"), 100);
    hub_tasks_change (hub.rooms->tasks, task, HUB_TASK_FAILED, "exit code 1");
    CU_ASSERT_EQUAL (th_balance (hub.rooms->th.ledger, "buyer:alice"), 900);
    CU_ASSERT_EQUAL (th_balance (hub.rooms->th.ledger, "miner:m-1"), 90);
    hub_escrow_charged (hub.rooms->escrow, task, &price, &billed, &seconds);
    CU_ASSERT_EQUAL (price, 0);
    hub_tasks_retire (hub.rooms->tasks, task);

    //  Nothing was made or lost: world paid 1000 in
    CU_ASSERT_EQUAL (th_balance (hub.rooms->th.ledger, "buyer:alice")
                     + th_balance (hub.rooms->th.ledger, "miner:m-1")
                     + th_balance (hub.rooms->th.ledger, "hub:fee")
                     + hub_escrow_total (hub.rooms->escrow), 1000);
    s_close (&hub);
    ts_tmpdir_remove (&dir);
}

static void
test_cannot_pay (void)
{
    char *dir = ts_tmpdir_new ("hub-escrow");
    s_hub_t hub;
    //  hub/require_funds off: a buyer who cannot pay runs unpaid
    s_open (&hub, dir, false);
    s_deposit (&hub, "deposit/1", 50);
    hub_miner_t *miner = s_miner (&hub, "m-1", 100);
    hub_task_t *task = s_submit (&hub, "t-1");
    char why [256] = "";
    CU_ASSERT_EQUAL (hub_escrow_admit (hub.rooms->escrow, "alice", task->spec, hub.rooms->miners,
                                       why, sizeof why), 0);
    CU_ASSERT_FALSE (hub_escrow_chargeable (hub.rooms->escrow, miner, task, 50));
    CU_ASSERT_TRUE (hub_escrow_chargeable (hub.rooms->escrow, miner, task, 100));
    char reason [256];
    CU_ASSERT_EQUAL (s_place (&hub, task, miner, reason, sizeof reason), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (reason, "runs unpaid: buyer:alice holds 50, m-1 asks 100"));
    CU_ASSERT_EQUAL (hub_escrow_held (hub.rooms->escrow, "t-1"), 0);
    hub_tasks_change (hub.rooms->tasks, task, HUB_TASK_SUCCEEDED, NULL);
    CU_ASSERT_EQUAL (th_balance (hub.rooms->th.ledger, "miner:m-1"), 0);
    CU_ASSERT_EQUAL (th_balance (hub.rooms->th.ledger, "buyer:alice"), 50);
    s_close (&hub);

    //  On: refused at submit, and never placed on a miner it cannot pay
    s_open (&hub, dir, true);
    miner = s_miner (&hub, "m-1", 100);
    task = s_submit (&hub, "t-2");
    CU_ASSERT_EQUAL (hub_escrow_admit (hub.rooms->escrow, "alice", task->spec, hub.rooms->miners,
                                       why, sizeof why), FG_E_FUNDS);
    CU_ASSERT_PTR_NOT_NULL (strstr (why, "not enough funds: buyer:alice holds 50"));
    CU_ASSERT_EQUAL (s_place (&hub, task, miner, reason, sizeof reason), 1);
    CU_ASSERT_EQUAL (task->state, HUB_TASK_PENDING);
    //  The placer's second choice: a cheaper miner that fits
    hub_miner_t *cheap = s_miner (&hub, "m-2", 40);
    hub_sched_miner_t cands [2];
    hub_miner_t *owners [2] = { miner, cheap };
    hub_miners_candidate (miner, &cands [0]);
    hub_miners_candidate (cheap, &cands [1]);
    CU_ASSERT_EQUAL (hub_escrow_affordable (hub.rooms->escrow, task, cands, owners, 2, 0), 1);
    //  ...and none: the task's reason says why it waits
    cands [1].connected = false;
    CU_ASSERT_EQUAL (hub_escrow_affordable (hub.rooms->escrow, task, cands, owners, 2, 0), -1);
    CU_ASSERT_PTR_NOT_NULL (strstr (task->reason, "waiting for funds"));
    //  A miner that asks nothing is always affordable
    CU_ASSERT_EQUAL (hub_escrow_cheapest_ask (hub.rooms->miners, task->spec), 40);
    s_close (&hub);
    ts_tmpdir_remove (&dir);
}

static void
test_own_miner (void)
{
    char *dir = ts_tmpdir_new ("hub-escrow");
    s_hub_t hub;
    s_open (&hub, dir, false);
    s_deposit (&hub, "deposit/1", 1000);
    hub_miner_t *miner = s_miner (&hub, "m-self", 100);
    CU_ASSERT_FALSE (hub_escrow_own (hub.rooms->escrow, miner));
    CU_ASSERT_TRUE (hub_escrow_mark_own (hub.rooms->escrow, miner));
    CU_ASSERT_FALSE (hub_escrow_mark_own (hub.rooms->escrow, miner));     //  once
    CU_ASSERT_TRUE (hub_escrow_own (hub.rooms->escrow, miner));
    hub_task_t *task = s_submit (&hub, "t-1");
    CU_ASSERT_FALSE (hub_escrow_chargeable (hub.rooms->escrow, miner, task, 1000));
    char reason [256];
    CU_ASSERT_EQUAL (s_place (&hub, task, miner, reason, sizeof reason), 0);
    CU_ASSERT_PTR_NOT_NULL (strstr (reason, "hub's own key"));
    CU_ASSERT_EQUAL (hub_escrow_held (hub.rooms->escrow, "t-1"), 0);
    CU_ASSERT_EQUAL (th_balance (hub.rooms->th.ledger, "buyer:alice"), 1000);
    s_close (&hub);
    ts_tmpdir_remove (&dir);
}

static void
test_sweep (void)
{
    char *dir = ts_tmpdir_new ("hub-escrow");
    s_hub_t hub;
    s_open (&hub, dir, false);
    s_deposit (&hub, "deposit/1", 1000);
    hub_miner_t *miner = s_miner (&hub, "m-1", 100);
    hub_task_t *failed = s_submit (&hub, "t-1");
    hub_task_t *running = s_submit (&hub, "t-2");
    char reason [256];
    CU_ASSERT_EQUAL (s_place (&hub, failed, miner, reason, sizeof reason), 0);
    CU_ASSERT_EQUAL (s_place (&hub, running, miner, reason, sizeof reason), 0);
    //  t-1 fails without its settlement (as when the ledger refused it)
    hub_tasks_watch (hub.rooms->tasks, NULL, NULL, NULL);
    hub_tasks_change (hub.rooms->tasks, failed, HUB_TASK_FAILED, "exit code 2");
    hub_tasks_retire (hub.rooms->tasks, failed);
    CU_ASSERT_EQUAL (hub_escrow_total (hub.rooms->escrow), 200);

    //  The sweep refunds the finished one and leaves the running one be
    hub_escrow_sweep (hub.rooms->escrow, hub.rooms->tasks);
    CU_ASSERT_EQUAL (hub_escrow_held (hub.rooms->escrow, "t-1"), 0);
    CU_ASSERT_EQUAL (hub_escrow_held (hub.rooms->escrow, "t-2"), 100);
    CU_ASSERT_EQUAL (th_balance (hub.rooms->th.ledger, "buyer:alice"), 900);
    //  Twice changes nothing
    hub_escrow_sweep (hub.rooms->escrow, hub.rooms->tasks);
    CU_ASSERT_EQUAL (th_balance (hub.rooms->th.ledger, "buyer:alice"), 900);
    s_close (&hub);
    ts_tmpdir_remove (&dir);
}

void
test_hub_escrow_add (void)
{
    ts_add_suite ("hub_escrow",
        "hold, pay with the fee, refund", test_pay_and_refund,
        "a buyer who cannot pay, with and without hub/require_funds", test_cannot_pay,
        "the hub's own miner runs unpaid", test_own_miner,
        "the sweep settles what a failed settlement left", test_sweep,
        NULL);
}
