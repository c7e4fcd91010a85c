/*  =========================================================================
    hub_task - one buyer's task as the hub tracks it, and its state machine

    DESIGN
    Every state change goes through hub_task_set_state, as curl's mstate():
    one place checks it against the table, logs `from -> to`, starts the
    next attempt when a task goes back to pending, and says what the change
    is to be recorded as (hub_task_event_t): hub_tasks writes it with the
    task, so the history a buyer sees is exactly what happened.

        from        to          event
        ----        --          -----
        pending     assigned    the scheduler placed it on a miner
        pending     cancelled   CancelRequest
        pending     assigned    (a replicated task, to no miner: its runs decided
                                it, hub_court.h; then succeeded or failed)
        assigned    running     TaskStarted for the current attempt
        assigned    succeeded   TaskResult exit 0 (a fast task may skip running)
        assigned    failed      TaskResult non-zero / could not run,
                                miner lost with no retries left
        assigned    pending     miner lost, retries left (attempt + 1)
        assigned    cancelled   CancelRequest (TaskKill sent to the miner)
        running     succeeded   TaskResult exit 0
        running     failed      as for assigned, or the hub's timeout backstop
        running     pending     miner lost, retries left (attempt + 1)
        running     cancelled   CancelRequest (TaskKill sent to the miner)

    succeeded, failed and cancelled are final.
    =========================================================================  */
#include "fogrid.h"
#include "hub_task.h"

static const char *s_state_names [HUB_TASK_STATES] = {
    "none", "pending", "assigned", "running", "succeeded", "failed", "cancelled"
};

static const char *s_resolution_names [HUB_RESOLUTIONS] = {
    "", "pending", "soft", "challenged", "hard"
};

#define P HUB_TASK_PENDING
#define A HUB_TASK_ASSIGNED
#define R HUB_TASK_RUNNING
#define S HUB_TASK_SUCCEEDED
#define F HUB_TASK_FAILED
#define C HUB_TASK_CANCELLED
//  s_allowed [from][to]: the table above
static const bool s_allowed [HUB_TASK_STATES][HUB_TASK_STATES] = {
    [P] = { [A] = true, [C] = true },
    [A] = { [R] = true, [S] = true, [F] = true, [P] = true, [C] = true },
    [R] = { [S] = true, [F] = true, [P] = true, [C] = true },
};
#undef P
#undef A
#undef R
#undef S
#undef F
#undef C

hub_task_t *
hub_task_new (const char *id, Fogrid__TaskSpec **spec_p)
{
    hub_task_t *self = (hub_task_t *) zmalloc (sizeof (hub_task_t));
    snprintf (self->id, sizeof self->id, "%s", id);
    self->spec = *spec_p;
    *spec_p = NULL;
    fogrid__usage__init (&self->usage);
    self->state = HUB_TASK_PENDING;
    self->attempt = 1;
    self->client_token = strdup ("");
    self->buyer = strdup ("");
    self->reason = strdup ("");
    self->submitted_ms = self->updated_ms = fg_now_ms ();
    return self;
}

void
hub_task_destroy (hub_task_t **self_p)
{
    if (*self_p) {
        hub_task_t *self = *self_p;
        if (self->spec)
            fogrid__task_spec__free_unpacked (self->spec, NULL);
        free (self->client_token);
        free (self->buyer);
        free (self->reason);
        free (self);
        *self_p = NULL;
    }
}

void
hub_task_set_text (char **field, const char *value)
{
    char *copy = strdup (value? value: "");
    free (*field);
    *field = copy;
}

uint32_t
hub_task_cores (const hub_task_t *self)
{
    return self->spec && self->spec->cores? self->spec->cores: 1;
}

bool
hub_task_is_service (const hub_task_t *self)
{
    return self->spec && self->spec->service_name && *self->spec->service_name;
}

const char *
hub_resolution_name (hub_resolution_t resolution)
{
    if (resolution <= 0 || resolution >= HUB_RESOLUTIONS)
        return "";
    return s_resolution_names [resolution];
}

hub_resolution_t
hub_resolution_from_name (const char *name)
{
    for (int resolution = HUB_RESOLUTION_PENDING; resolution < HUB_RESOLUTIONS; resolution++)
        if (name && streq (name, s_resolution_names [resolution]))
            return (hub_resolution_t) resolution;
    return HUB_RESOLUTION_NONE;
}

const char *
hub_task_state_name (hub_task_state_t state)
{
    if (state <= 0 || state >= HUB_TASK_STATES)
        return "none";
    return s_state_names [state];
}

hub_task_state_t
hub_task_state_from_name (const char *name)
{
    for (int state = HUB_TASK_PENDING; state < HUB_TASK_STATES; state++)
        if (name && streq (name, s_state_names [state]))
            return (hub_task_state_t) state;
    return (hub_task_state_t) 0;
}

bool
hub_task_state_terminal (hub_task_state_t state)
{
    return state == HUB_TASK_SUCCEEDED || state == HUB_TASK_FAILED
        || state == HUB_TASK_CANCELLED;
}

bool
hub_task_transition_valid (hub_task_state_t from, hub_task_state_t to)
{
    if (from <= 0 || from >= HUB_TASK_STATES || to <= 0 || to >= HUB_TASK_STATES)
        return false;
    return s_allowed [from][to];
}

int
hub_task_set_state (hub_task_t *self, hub_task_state_t next, const char *miner_id,
                    const char *reason, hub_task_event_t *event)
{
    hub_task_state_t prev = self->state;
    if (!hub_task_transition_valid (prev, next)) {
        zsys_error ("task %s: refused transition %s -> %s", self->id,
                    hub_task_state_name (prev), hub_task_state_name (next));
        return -1;
    }
    if (next == HUB_TASK_ASSIGNED)
        snprintf (self->miner_id, sizeof self->miner_id, "%s", miner_id? miner_id: "");
    //  The event names the miner of the attempt that ends or starts here
    char event_miner [64];
    snprintf (event_miner, sizeof event_miner, "%s", self->miner_id);
    uint32_t event_attempt = self->attempt;
    if (next == HUB_TASK_PENDING) {
        //  Back in the queue: the next placement is a new attempt, and a
        //  result for the old one will be refused as stale
        self->attempt++;
        if (self->retries_left)
            self->retries_left--;
        self->miner_id [0] = 0;
    }
    self->state = next;
    self->updated_ms = fg_now_ms ();
    hub_task_set_text (&self->reason, reason);

    if (*event_miner)
        zsys_info ("task %s %s -> %s (miner %s, attempt %u)%s%s", self->id,
                   hub_task_state_name (prev), hub_task_state_name (next),
                   event_miner, event_attempt, *self->reason? ": ": "", self->reason);
    else
        zsys_info ("task %s %s -> %s (attempt %u)%s%s", self->id,
                   hub_task_state_name (prev), hub_task_state_name (next),
                   event_attempt, *self->reason? ": ": "", self->reason);
    if (event) {
        snprintf (event->miner_id, sizeof event->miner_id, "%s", event_miner);
        event->attempt = event_attempt;
    }
    return 0;
}
