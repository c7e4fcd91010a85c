/*  =========================================================================
    test_miner_batch - a turn's results: one alone as a TaskResult, several
    in one TaskResultBatch with a seq each; the hub's acks and an Error to
    the whole batch matched back to each result
    =========================================================================  */
#include "test_support.h"
#include "miner_batch.h"

//  A wire that keeps what it was given to send, encoded
typedef struct {
    uint64_t seq;
    zlistx_t *sent;             //  fg_env_t * (unpacked copies)
    uint64_t errors [16];       //  seqs on_error was called with
    size_t error_count;
} s_wire_t;

static uint64_t
s_next_seq (void *arg)
{
    s_wire_t *wire = (s_wire_t *) arg;
    return ++wire->seq << 3 | 4;
}

static int
s_send (void *arg, fg_env_t *env)
{
    s_wire_t *wire = (s_wire_t *) arg;
    size_t size = fogrid__envelope__get_packed_size (env);
    uint8_t *buffer = (uint8_t *) zmalloc (size + 1);
    fogrid__envelope__pack (env, buffer);
    zlistx_add_end (wire->sent, fogrid__envelope__unpack (NULL, size, buffer));
    free (buffer);
    return 0;
}

static void
s_on_error (void *arg, uint64_t seq, Fogrid__Error *error)
{
    s_wire_t *wire = (s_wire_t *) arg;
    CU_ASSERT_EQUAL (error->code, FG_E_STALE);
    if (wire->error_count < 16)
        wire->errors [wire->error_count++] = seq;
}

static void
s_result (miner_results_t *results, miner_batch_t *batch, const char *task_id)
{
    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    result.task_id = (char *) task_id;
    result.attempt = 1;
    result.stdout_sha256 = "e3b0";
    miner_results_add (results, &result, "tcp://hub:1");
    miner_batch_add (batch, &result);
}

static void
s_env_free (void **item)
{
    fogrid__envelope__free_unpacked ((fg_env_t *) *item, NULL);
    *item = NULL;
}

static void
test_batch (void)
{
    s_wire_t wire = { 0, zlistx_new (), { 0 }, 0 };
    miner_results_t *results = miner_results_new ();
    miner_batch_wire_t link = { s_next_seq, s_send, &wire };
    miner_batch_t *batch = miner_batch_new (results, NULL, &link);

    //  Nothing owed: nothing sent; one alone: a TaskResult
    miner_batch_flush (batch);
    CU_ASSERT_EQUAL (zlistx_size (wire.sent), 0);
    s_result (results, batch, "t-1");
    CU_ASSERT_EQUAL (miner_batch_size (batch), 1);
    miner_batch_flush (batch);
    CU_ASSERT_EQUAL (miner_batch_size (batch), 0);
    CU_ASSERT_EQUAL_FATAL (zlistx_size (wire.sent), 1);
    fg_env_t *env = (fg_env_t *) zlistx_first (wire.sent);
    CU_ASSERT_EQUAL (env->body_case, FOGRID__ENVELOPE__BODY_TASK_RESULT);
    CU_ASSERT_STRING_EQUAL (env->task_result->task_id, "t-1");
    CU_ASSERT_EQUAL (miner_results_seq (results, "t-1", 1), env->seq);

    //  Three in one turn: one TaskResultBatch, a seq each, the first the
    //  envelope's
    s_result (results, batch, "t-2");
    s_result (results, batch, "t-3");
    s_result (results, batch, "t-4");
    miner_batch_flush (batch);
    CU_ASSERT_EQUAL_FATAL (zlistx_size (wire.sent), 2);
    env = (fg_env_t *) zlistx_last (wire.sent);
    CU_ASSERT_EQUAL_FATAL (env->body_case, FOGRID__ENVELOPE__BODY_TASK_RESULT_BATCH);
    CU_ASSERT_EQUAL_FATAL (env->task_result_batch->n_results, 3);
    CU_ASSERT_STRING_EQUAL (env->task_result_batch->results [2]->task_id, "t-4");
    uint64_t seq2 = miner_results_seq (results, "t-2", 1);
    uint64_t seq3 = miner_results_seq (results, "t-3", 1);
    uint64_t seq4 = miner_results_seq (results, "t-4", 1);
    CU_ASSERT_EQUAL (seq2, env->seq);
    CU_ASSERT (seq3 != seq2 && seq4 != seq3 && seq4 != seq2);
    uint64_t batch_seq = env->seq;
    CU_ASSERT_EQUAL (miner_results_size (results), 4);

    //  The acks: t-2 taken, t-3 refused (to on_error with its own seq),
    //  one for a task not here ignored
    Fogrid__ResultAck acks_store [3];
    Fogrid__ResultAck *ack_list [3];
    const char *ids [] = { "t-2", "t-3", "t-nope" };
    uint32_t codes [] = { FG_OK, FG_E_STALE, FG_OK };
    for (int index = 0; index < 3; index++) {
        fogrid__result_ack__init (&acks_store [index]);
        acks_store [index].task_id = (char *) ids [index];
        acks_store [index].attempt = 1;
        acks_store [index].code = codes [index];
        ack_list [index] = &acks_store [index];
    }
    Fogrid__ResultAcks acks = FOGRID__RESULT_ACKS__INIT;
    acks.acks = ack_list;
    acks.n_acks = 3;
    miner_batch_acks (batch, &acks, s_on_error, &wire);
    CU_ASSERT_EQUAL (miner_results_seq (results, "t-2", 1), 0);
    CU_ASSERT_EQUAL_FATAL (wire.error_count, 1);
    CU_ASSERT_EQUAL (wire.errors [0], seq3);

    //  An Error to the whole batch: each of its results still waiting
    //  (t-3 was answered, but on_error here did not drop it: t-3, t-4)
    Fogrid__Error error = FOGRID__ERROR__INIT;
    error.code = FG_E_STALE;
    error.text = "stale";
    wire.error_count = 0;
    miner_batch_error (batch, batch_seq, &error, s_on_error, &wire);
    CU_ASSERT (wire.error_count >= 1);
    bool saw4 = false;
    for (size_t index = 0; index < wire.error_count; index++)
        saw4 |= wire.errors [index] == seq4;
    CU_ASSERT_TRUE (saw4);
    //  An Error to a seq no batch had: to that seq alone
    wire.error_count = 0;
    uint64_t seq1 = miner_results_seq (results, "t-1", 1);
    miner_batch_error (batch, seq1, &error, s_on_error, &wire);
    CU_ASSERT_EQUAL (wire.error_count, 1);
    CU_ASSERT_EQUAL (wire.errors [0], seq1);

    //  The connection went: what the turn owed is forgotten here (kept in
    //  results), and held results go again one by one
    s_result (results, batch, "t-5");
    miner_batch_clear (batch);
    CU_ASSERT_EQUAL (miner_batch_size (batch), 0);
    miner_results_hold_all (results);
    size_t before = zlistx_size (wire.sent);
    size_t held = miner_batch_resend_held (batch);
    CU_ASSERT (held >= 1);
    CU_ASSERT_EQUAL (zlistx_size (wire.sent), before + held);
    env = (fg_env_t *) zlistx_last (wire.sent);
    CU_ASSERT_EQUAL (env->body_case, FOGRID__ENVELOPE__BODY_TASK_RESULT);

    miner_batch_destroy (&batch);
    CU_ASSERT_PTR_NULL (batch);
    miner_results_destroy (&results);
    zlistx_set_destructor (wire.sent, s_env_free);
    zlistx_destroy (&wire.sent);
}

void
test_miner_batch_add (void)
{
    ts_add_suite ("miner_batch",
        "a turn's results in one message, acks matched to each", test_batch, NULL);
}
