/*  =========================================================================
    hub_array_api - buyers' requests about job arrays

    DESIGN
    An array is checked whole before anything is kept: its token (a
    retried array is answered with what the first one got, and takes no
    room), its size against hub/tasks_per_buyer and hub/queue_max (a full
    hub accepts nothing of it), funds, then every element's spec as
    hub_spec_check checks a single submit. An element that fails refuses
    the array, naming the elements and why, unless the request is partial:
    then the others are accepted and the reply lists the refused ones.

    Stored compactly: an array from a template keeps the template once
    (hub_store_array_add) and its elements' rows keep no spec (the store
    makes it again from the template and the index); the array row and
    every element go into one savepoint of the burst's transaction, so a
    crash keeps the array whole or not at all. Each element is a task
    like any other from then on, "ARRAY[INDEX]", queued in index order.
    =========================================================================  */
#include "fogrid.h"
#include "hub_inputs.h"
#include "hub_spec.h"
#include "hub_array_api.h"

#define S_MAX_TOKEN         128         //  a client_token
#define S_MAX_ELEMENTS      1000000     //  elements of one array
#define S_MAX_LISTED        1000        //  refused elements listed in a reply
#define S_MAX_FAILED_IDS    20          //  failed elements named by ArrayStatusReply

struct _hub_array_api_t {
    hub_tasks_t *tasks;         //  the unfinished tasks (not owned)
    hub_store_t *store;         //  arrays, their tokens and counts (not owned)
    hub_escrow_t *escrow;       //  funds at submit (not owned)
    hub_miners_t *miners;       //  the cheapest ask (not owned)
    const hub_config_t *config; //  limits, defaults, admin keys
    hub_stats_t *stats;         //  counted here: submitted, refused
    fg_outbox_t *outbox;        //  answers wait here for the commit (not owned)
    zsock_t *sock;              //  the buyers' ROUTER (not owned)
};

hub_array_api_t *
hub_array_api_new (hub_tasks_t *tasks, hub_store_t *store, hub_escrow_t *escrow,
                   hub_miners_t *miners, const hub_config_t *config, hub_stats_t *stats,
                   fg_outbox_t *outbox, zsock_t *sock)
{
    hub_array_api_t *self = (hub_array_api_t *) zmalloc (sizeof (hub_array_api_t));
    self->tasks = tasks;
    self->store = store;
    self->escrow = escrow;
    self->miners = miners;
    self->config = config;
    self->stats = stats;
    self->outbox = outbox;
    self->sock = sock;
    return self;
}

void
hub_array_api_destroy (hub_array_api_t **self_p)
{
    if (*self_p) {
        free (*self_p);
        *self_p = NULL;
    }
}

static void
s_refuse (hub_array_api_t *self, zframe_t *peer, uint64_t seq, fg_error_t code,
          const char *format, ...) __attribute__ ((format (printf, 5, 6)));

static void
s_refuse (hub_array_api_t *self, zframe_t *peer, uint64_t seq, fg_error_t code,
          const char *format, ...)
{
    char text [512];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    if (code != FG_E_NOT_FOUND && code != FG_E_DENIED)
        self->stats->refused++;
    fg_outbox_refuse (self->outbox, self->sock, peer, seq, code, "%s", text);
}

static void
s_reply (hub_array_api_t *self, zframe_t *peer, uint64_t seq, const hub_array_t *array,
         bool duplicate, Fogrid__ArrayFailure **failed, size_t n_failed)
{
    Fogrid__SubmitArrayReply reply = FOGRID__SUBMIT_ARRAY_REPLY__INIT;
    reply.array_id = (char *) array->id;
    reply.first = array->first;
    reply.last = array->last;
    reply.accepted = array->count;
    reply.duplicate = duplicate;
    reply.failed = failed;
    reply.n_failed = n_failed;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_SUBMIT_ARRAY_REPLY;
    env.submit_array_reply = &reply;
    fg_outbox_answer (self->outbox, self->sock, peer, &env);
}

//  The refused elements, for a reply or an error
typedef struct {
    Fogrid__ArrayFailure **items;
    size_t count;               //  refused
    size_t listed;              //  kept in items (at most S_MAX_LISTED)
} s_failures_t;

static void
s_failure_add (s_failures_t *failures, uint32_t index, const char *why)
{
    failures->count++;
    if (failures->listed == S_MAX_LISTED)
        return;
    if (!failures->items)
        failures->items = (Fogrid__ArrayFailure **) zmalloc (
            sizeof (Fogrid__ArrayFailure *) * S_MAX_LISTED);
    Fogrid__ArrayFailure *failure = (Fogrid__ArrayFailure *) zmalloc (sizeof *failure);
    fogrid__array_failure__init (failure);
    failure->index = index;
    failure->error = strdup (why);
    failures->items [failures->listed++] = failure;
}

static void
s_failures_reset (s_failures_t *failures)
{
    for (size_t index = 0; index < failures->listed; index++) {
        free (failures->items [index]->error);
        free (failures->items [index]);
    }
    free (failures->items);
    memset (failures, 0, sizeof *failures);
}

//  The elements' specs: from the template (packed once) or the list.
//  NULL (and why) when the element cannot be accepted.
static Fogrid__TaskSpec *
s_element (hub_array_api_t *self, Fogrid__SubmitArrayRequest *request, const byte *packed,
           size_t size, uint32_t index, size_t at, char *why, size_t why_size)
{
    Fogrid__TaskSpec *spec = NULL;
    if (packed)
        spec = hub_spec_element (packed, size, index);
    else {
        //  (taken over from the request, which keeps a NULL)
        spec = request->specs [at];
        request->specs [at] = NULL;
    }
    if (!spec) {
        snprintf (why, why_size, "no spec");
        return NULL;
    }
    if (hub_spec_check (spec, why, why_size)
    ||  hub_inputs_check (spec, (size_t) self->config->max_inputs, why, why_size)) {
        fogrid__task_spec__free_unpacked (spec, NULL);
        return NULL;
    }
    if (!spec->timeout_s)
        spec->timeout_s = (uint32_t) self->config->default_timeout_s;
    return spec;
}

static void
s_handle_submit (hub_array_api_t *self, zframe_t *peer, uint64_t seq, const char *buyer,
                 Fogrid__SubmitArrayRequest *request)
{
    const char *token = request->client_token;
    if (!fg_text_valid (token, S_MAX_TOKEN)) {
        s_refuse (self, peer, seq, FG_E_INVALID, "array refused: client_token must be "
                  "printable, at most %d bytes", S_MAX_TOKEN);
        return;
    }
    //  A retried array is answered before the bounds: it takes no room
    hub_array_t array;
    if (*token && hub_store_array_load (self->store, NULL, buyer, token, &array) == 0) {
        s_reply (self, peer, seq, &array, true, NULL, 0);
        return;
    }
    bool templated = request->spec != NULL;
    if (templated == (request->n_specs > 0)) {
        s_refuse (self, peer, seq, FG_E_INVALID, "array refused: give either a spec with "
                  "first..last or a list of specs");
        return;
    }
    uint64_t count = templated? (uint64_t) request->last - request->first + 1
                              : (uint64_t) request->n_specs;
    if (templated && request->last < request->first) {
        s_refuse (self, peer, seq, FG_E_INVALID, "array refused: the range %u-%u is empty",
                  request->first, request->last);
        return;
    }
    if (count > S_MAX_ELEMENTS) {
        s_refuse (self, peer, seq, FG_E_INVALID, "array refused: %" PRIu64 " elements, at "
                  "most %d in one array", count, S_MAX_ELEMENTS);
        return;
    }
    //  Room: all of it, or nothing is accepted
    size_t queued = hub_tasks_queued (self->tasks);
    size_t unfinished = hub_tasks_of_buyer (self->tasks, buyer);
    if ((int64_t) (unfinished + count) > self->config->tasks_per_buyer) {
        s_refuse (self, peer, seq, FG_E_LIMIT, "array refused, nothing accepted: you have %zu "
                  "unfinished tasks here and %" PRIu64 " more would pass the limit of %" PRId64
                  " (hub/tasks_per_buyer)", unfinished, count, self->config->tasks_per_buyer);
        return;
    }
    if ((int64_t) (queued + count) > self->config->queue_max) {
        s_refuse (self, peer, seq, FG_E_HUB_FULL, "hub full: %zu tasks queued, %" PRIu64
                  " more would pass the limit of %" PRId64 " (hub/queue_max): nothing of "
                  "the array was accepted", queued, count, self->config->queue_max);
        return;
    }
    char why [512];
    if (templated && (hub_spec_check (request->spec, why, sizeof why)
                  ||  hub_inputs_check (request->spec, (size_t) self->config->max_inputs, why,
                                        sizeof why))) {
        s_refuse (self, peer, seq, FG_E_INVALID, "array refused, nothing accepted: %s", why);
        return;
    }
    fg_error_t funds = hub_escrow_admit (self->escrow, buyer, templated? request->spec
                                         : request->specs [0], self->miners, why, sizeof why);
    if (funds) {
        s_refuse (self, peer, seq, funds, "array refused: %s", why);
        return;
    }
    //  The template is packed once: each element unpacks it with its index
    memset (&array, 0, sizeof array);
    fg_id_new ("a", array.id, sizeof array.id);
    snprintf (array.client_token, sizeof array.client_token, "%s", token);
    snprintf (array.buyer, sizeof array.buyer, "%s", buyer);
    array.first = templated? request->first: 1;
    array.last = templated? request->last: (uint32_t) request->n_specs;
    array.submitted_ms = fg_now_ms ();
    byte *packed = NULL;
    size_t size = 0;
    if (templated) {
        if (!request->spec->timeout_s)
            request->spec->timeout_s = (uint32_t) self->config->default_timeout_s;
        size = fogrid__task_spec__get_packed_size (request->spec);
        packed = (byte *) zmalloc (size + 1);
        fogrid__task_spec__pack (request->spec, packed);
    }
    hub_task_t **tasks = (hub_task_t **) zmalloc (sizeof (hub_task_t *) * (count + 1));
    s_failures_t failures = { NULL, 0, 0 };
    for (uint64_t at = 0; at < count; at++) {
        uint32_t index = array.first + (uint32_t) at;
        Fogrid__TaskSpec *spec = s_element (self, request, packed, size, index, (size_t) at,
                                            why, sizeof why);
        if (!spec) {
            s_failure_add (&failures, index, why);
            continue;
        }
        char id [32];
        snprintf (id, sizeof id, "%s[%u]", array.id, index);
        hub_task_t *task = hub_task_new (id, &spec);
        task->templated = templated;
        hub_task_set_text (&task->buyer, buyer);
        task->retries_left = task->spec->retries? task->spec->retries
                                                : (uint32_t) self->config->default_retries;
        task->submitted_ms = array.submitted_ms;
        tasks [array.count++] = task;
    }
    free (packed);
    int rc = 0;
    if (failures.count && (!request->partial || array.count == 0)) {
        char list [600] = "";
        for (size_t index = 0; index < failures.listed && index < 3; index++) {
            size_t len = strlen (list);
            snprintf (list + len, sizeof list - len, "%s element %u: %s", index? ";": "",
                      failures.items [index]->index, failures.items [index]->error);
        }
        s_refuse (self, peer, seq, FG_E_INVALID, "array refused, nothing accepted: %zu of %"
                  PRIu64 " elements are wrong:%s%s", failures.count, count, list,
                  failures.count > 3? " ...": "");
        rc = -1;
    }
    else
    if (hub_store_savepoint (self->store)
    ||  hub_store_array_add (self->store, &array, templated? request->spec: NULL)
    ||  hub_tasks_submit_many (self->tasks, tasks, array.count)) {
        hub_store_rollback_savepoint (self->store);
        s_refuse (self, peer, seq, FG_E_INTERNAL, "array failed: the hub could not store it");
        rc = -1;
    }
    else
        hub_store_release_savepoint (self->store);
    if (rc) {
        for (size_t index = 0; index < array.count; index++)
            hub_task_destroy (&tasks [index]);
    }
    else {
        zsys_info ("array %s submitted: %u elements (%u..%u)%s%zu refused", array.id,
                   array.count, array.first, array.last, failures.count? ", ": ", none ",
                   failures.count);
        self->stats->submitted += array.count;
        s_reply (self, peer, seq, &array, false, failures.items, failures.listed);
    }
    free (tasks);
    s_failures_reset (&failures);
}

static void
s_handle_status (hub_array_api_t *self, zframe_t *peer, uint64_t seq, const char *key,
                 const char *array_id)
{
    hub_array_t array;
    if (!fg_text_valid (array_id, 31)
    ||  hub_store_array_load (self->store, array_id, NULL, NULL, &array)) {
        s_refuse (self, peer, seq, FG_E_NOT_FOUND, "array %.64s not found on this hub",
                  array_id? array_id: "");
        return;
    }
    if (*array.buyer && !streq (array.buyer, key) && !hub_config_admin (self->config, key)) {
        s_refuse (self, peer, seq, FG_E_DENIED, "array %s belongs to another buyer", array.id);
        return;
    }
    uint64_t counts [HUB_TASK_STATES];
    zlist_t *failed = zlist_new ();
    zlist_autofree (failed);
    if (hub_store_array_counts (self->store, array.id, counts, failed, S_MAX_FAILED_IDS)) {
        zlist_destroy (&failed);
        s_refuse (self, peer, seq, FG_E_INTERNAL, "cannot count the elements of %s", array.id);
        return;
    }
    Fogrid__Counter states [HUB_TASK_STATES], *list [HUB_TASK_STATES];
    Fogrid__ArrayStatusReply reply = FOGRID__ARRAY_STATUS_REPLY__INIT;
    for (int state = HUB_TASK_PENDING; state < HUB_TASK_STATES; state++)
        if (counts [state]) {
            fogrid__counter__init (&states [state]);
            states [state].name = (char *) hub_task_state_name ((hub_task_state_t) state);
            states [state].value = counts [state];
            list [reply.n_by_state++] = &states [state];
        }
    char *ids [S_MAX_FAILED_IDS];
    for (char *id = (char *) zlist_first (failed); id && reply.n_failed < S_MAX_FAILED_IDS;
         id = (char *) zlist_next (failed))
        ids [reply.n_failed++] = id;
    reply.array_id = array.id;
    reply.count = array.count;
    reply.first = array.first;
    reply.last = array.last;
    reply.by_state = list;
    reply.failed = ids;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_ARRAY_STATUS_REPLY;
    env.array_status_reply = &reply;
    fg_outbox_answer (self->outbox, self->sock, peer, &env);
    zlist_destroy (&failed);
}

bool
hub_array_api_handle (hub_array_api_t *self, zframe_t *peer, uint64_t seq, const char *key,
                      fg_env_t *env)
{
    switch (env->body_case) {
        case FOGRID__ENVELOPE__BODY_SUBMIT_ARRAY:
            s_handle_submit (self, peer, seq, key, env->submit_array);
            return true;
        case FOGRID__ENVELOPE__BODY_ARRAY_STATUS:
            s_handle_status (self, peer, seq, key, env->array_status->array_id);
            return true;
        default:
            return false;
    }
}
