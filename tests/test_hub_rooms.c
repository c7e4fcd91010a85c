/*  =========================================================================
    test_hub_rooms - the hub's rooms on real books, as the room suites
    build them (see the header)
    =========================================================================  */
#include "test_hub_rooms.h"
#include <stdarg.h>

th_rooms_t *
th_rooms_new (const char *dir, bool self_register, ...)
{
    th_rooms_t *self = (th_rooms_t *) zmalloc (sizeof (th_rooms_t));
    th_books_open (&self->th, dir);
    self->raw = fg_config_new (hub_config_defs);
    fg_config_set (self->raw, "hub/data_dir", dir);
    va_list args;
    va_start (args, self_register);
    const char *name;
    while ((name = va_arg (args, const char *))) {
        const char *value = va_arg (args, const char *);
        fg_config_set (self->raw, name, value);
    }
    va_end (args);
    self->config = hub_config_new (self->raw);
    hub_wallet_config_t wallet = {
        .hub_id = "h-test", .punish_account = "dao", .self_register = self_register
    };
    char err [400] = "";
    self->wallet = hub_wallet_new (self->th.store, self->th.ledger, &wallet, err, sizeof err);
    if (!self->wallet)
        fprintf (stderr, "wallet: %s\n", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (self->wallet);
    self->escrow = hub_escrow_new (self->th.store, self->th.ledger, self->wallet, self->config,
                                   err, sizeof err);
    if (!self->escrow)
        fprintf (stderr, "escrow: %s\n", err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (self->escrow);
    self->tasks = hub_tasks_new (self->th.store);
    self->miners = hub_miners_new ();
    self->outbox = fg_outbox_new ();
    return self;
}

void
th_rooms_destroy (th_rooms_t **self_p)
{
    if (*self_p) {
        th_rooms_t *self = *self_p;
        zframe_destroy (&self->peer);
        zsock_destroy (&self->dealer);
        zsock_destroy (&self->router);
        fg_outbox_destroy (&self->outbox);
        hub_miners_destroy (&self->miners);
        hub_tasks_destroy (&self->tasks);
        hub_escrow_destroy (&self->escrow);
        CU_ASSERT_PTR_NULL (self->escrow);
        hub_wallet_destroy (&self->wallet);
        hub_config_destroy (&self->config);
        fg_config_destroy (&self->raw);
        th_books_close (&self->th);
        free (self);
        *self_p = NULL;
    }
}

//  The watcher a hub puts on its tasks: money before each change
static void
s_money_first (void *arg, hub_task_t *task, hub_task_state_t next)
{
    th_rooms_t *self = (th_rooms_t *) arg;
    hub_escrow_task_change (self->escrow, task, next,
                            hub_miners_lookup (self->miners, task->miner_id));
}

void
th_rooms_watch_money (th_rooms_t *self)
{
    hub_tasks_watch (self->tasks, s_money_first, NULL, self);
}

void
th_rooms_connect (th_rooms_t *self, const char *name, const char *id, bool mandatory)
{
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://%s-%p", name, (void *) self);
    self->router = zsock_new_router (endpoint);
    CU_ASSERT_PTR_NOT_NULL_FATAL (self->router);
    if (mandatory)
        zsock_set_router_mandatory (self->router, 1);
    self->dealer = zsock_new (ZMQ_DEALER);
    zsock_set_identity (self->dealer, id);
    zsock_set_rcvtimeo (self->dealer, 2000);
    zsock_connect (self->dealer, "%s", endpoint);
    zstr_send (self->dealer, "hello");
    zmsg_t *hello = zmsg_recv (self->router);
    CU_ASSERT_PTR_NOT_NULL_FATAL (hello);
    self->peer = zmsg_pop (hello);
    zmsg_destroy (&hello);
}

void
th_hello_init (th_hello_t *self, const char *id, uint32_t cores, uint64_t price)
{
    self->runtimes [0] = "process";
    fogrid__resources__init (&self->res);
    self->res.cores = cores;
    self->res.mem_mb = 4096;
    self->res.n_runtimes = 1;
    self->res.runtimes = self->runtimes;
    self->res.price = price;
    fogrid__miner_hello__init (&self->hello);
    self->hello.miner_id = (char *) id;
    self->hello.name = (char *) id;
    self->hello.version = "test";
    self->hello.resources = &self->res;
}

hub_miner_t *
th_rooms_miner (th_rooms_t *self, const char *id, const char *routing, uint32_t cores,
                uint64_t price)
{
    th_hello_t hello;
    th_hello_init (&hello, id, cores, price);
    zframe_t *frame = zframe_new (routing, strlen (routing));
    hub_miner_t *miner = hub_miners_hello (self->miners, &hello.hello, frame, fg_now_ms ());
    zframe_destroy (&frame);
    return miner;
}

hub_task_t *
th_task_new (const char *id, const char *buyer, uint32_t retries)
{
    Fogrid__TaskSpec *spec = (Fogrid__TaskSpec *) zmalloc (sizeof (Fogrid__TaskSpec));
    fogrid__task_spec__init (spec);
    spec->n_argv = 1;
    spec->argv = (char **) zmalloc (sizeof (char *));
    spec->argv [0] = strdup ("true");
    hub_task_t *task = hub_task_new (id, &spec);
    hub_task_set_text (&task->buyer, buyer);
    task->retries_left = retries;
    return task;
}

hub_task_t *
th_rooms_submit (th_rooms_t *self, const char *id, const char *buyer, uint32_t retries)
{
    hub_task_t *task = th_task_new (id, buyer, retries);
    CU_ASSERT_EQUAL_FATAL (hub_tasks_submit (self->tasks, task, NULL), 0);
    return task;
}
