/*  =========================================================================
    hub_task - one buyer's task as the hub tracks it, and its state machine

    A task is a record shared by the store, the scheduler and the server, so
    its fields are public; its state is not: it changes only through
    hub_task_set_state, which checks the transition against the table in
    hub_task.c and logs it. Writing it down is hub_tasks' (hub_tasks.h):
    the record knows nothing of the store.
    =========================================================================  */
#ifndef HUB_TASK_H_INCLUDED
#define HUB_TASK_H_INCLUDED

typedef enum {
    HUB_TASK_PENDING = 1,       //  stored, waiting for a miner
    HUB_TASK_ASSIGNED,          //  sent to a miner, not started yet
    HUB_TASK_RUNNING,           //  the miner started it
    HUB_TASK_SUCCEEDED,         //  exited 0
    HUB_TASK_FAILED,            //  exited non-zero, could not run, or lost
    HUB_TASK_CANCELLED,         //  the buyer cancelled it
    HUB_TASK_STATES             //  keep last: 1 + number of states
} hub_task_state_t;

//  Whether a finished task's result stands (hub_court.h): its miner is
//  paid only once it is soft or hard. The table is in hub_court.c.
typedef enum {
    HUB_RESOLUTION_NONE = 0,    //  not finished with a result (or from before resolutions)
    HUB_RESOLUTION_PENDING,     //  in its challenge window, or waiting for its replicas
                                //  or a check
    HUB_RESOLUTION_SOFT,        //  the window passed unchallenged
    HUB_RESOLUTION_CHALLENGED,  //  verification runs
    HUB_RESOLUTION_HARD,        //  a verdict decided it
    HUB_RESOLUTIONS             //  keep last
} hub_resolution_t;

//  What a task is to the court: a buyer's own, or a run the hub made of one
typedef enum {
    HUB_ROLE_TASK = 0,          //  a buyer's task
    HUB_ROLE_REPLICA,           //  one of a replicated task's runs (paid by its buyer)
    HUB_ROLE_CHECK,             //  a verification run of a challenge (paid by the
                                //  loser of the verdict)
    HUB_ROLE_SPOT,              //  a spot check run (paid by the hub, or by the
                                //  loser of the verdict it leads to)
} hub_task_role_t;

typedef struct {
    char id [32];               //  "t-xxxxxxxxxxxx"
    int64_t seq;                //  submission order (the store's row id)
    char *client_token;         //  buyer's idempotency token, "" if none
    char *buyer;                //  buyer's public key, "" when insecure
    Fogrid__TaskSpec *spec;     //  what to run (owned, protobuf-c unpacked)
    hub_task_state_t state;     //  only hub_task_set_state writes it
    uint32_t attempt;           //  current attempt, 1 at submit
    uint32_t retries_left;      //  requeues still allowed after a lost miner
    char miner_id [64];         //  miner of the current attempt, "" if none
    int32_t exit_code;          //  when finished; -1 if it did not exit
    int32_t term_signal;        //  signal that ended it, 0 if none
    bool timed_out;             //  the miner killed it at its timeout
    char *reason;               //  why it failed / was requeued, "" if none
    int64_t submitted_ms;       //  when it was accepted
    int64_t updated_ms;         //  last state change
    bool measured;              //  usage holds what its miner measured
    Fogrid__Usage usage;        //  of the attempt that ended (TaskResult.usage)
    void *queued;               //  its place in the hub's queue (a zlistx handle
                                //  hub_tasks keeps), NULL when not queued
    hub_resolution_t resolution;    //  whether its result stands (hub_court writes it)
    int64_t resolve_at_ms;      //  a pending resolution's window ends then (0: it
                                //  waits for its runs or a check, not for time)
    char output_hash [65];      //  hub_output_hash of its result, "" if none
    char parent [32];           //  the task it is a run of, "" for a buyer's task
    hub_task_role_t role;       //  a buyer's task, a replica, a check
    bool templated;             //  an element of a job array whose spec is the
                                //  array's, stored once (id "ARRAY[INDEX]")
    int fair_where;             //  where hub_fair holds it (its own codes), 0 = nowhere
    size_t fair_at;             //  its index there
} hub_task_t;

//  A new pending task, attempt 1; takes ownership of spec.
hub_task_t *hub_task_new (const char *id, Fogrid__TaskSpec **spec_p);
void hub_task_destroy (hub_task_t **self_p);

//  Replaces a string field (client_token, buyer, reason) with a copy.
void hub_task_set_text (char **field, const char *value);

//  Cores, memory and GPUs the task reserves on its miner (cores 0 counts 1).
uint32_t hub_task_cores (const hub_task_t *self);

//  True for a service (fogrid run-service): billed per second while it
//  runs (hub_billing.h), not paid from escrow.
bool hub_task_is_service (const hub_task_t *self);

//  "pending", "soft", ...; "" for none; from_name: 0 for unknown.
const char *hub_resolution_name (hub_resolution_t resolution);
hub_resolution_t hub_resolution_from_name (const char *name);

//  "pending", ... ; hub_task_state_from_name returns 0 for an unknown name.
const char *hub_task_state_name (hub_task_state_t state);
hub_task_state_t hub_task_state_from_name (const char *name);
bool hub_task_state_terminal (hub_task_state_t state);

//  True when the table allows from -> to.
bool hub_task_transition_valid (hub_task_state_t from, hub_task_state_t to);

//  What a change of state is recorded as: the miner and the attempt of
//  the assignment that ends or starts with it.
typedef struct {
    char miner_id [64];         //  "" when none
    uint32_t attempt;
} hub_task_event_t;

//  The only writer of a task's state. miner_id names the miner of the new
//  assignment (pending -> assigned) and is ignored otherwise; reason is
//  kept for people (may be NULL). Going back to pending starts the next
//  attempt. Fills *event (when not NULL) for the task's history. Returns
//  0, or -1 when the table forbids it (logged, nothing changed).
int hub_task_set_state (hub_task_t *self, hub_task_state_t next, const char *miner_id,
                        const char *reason, hub_task_event_t *event);

#endif
