/*  =========================================================================
    miner_results - the results a hub link owes its hub

    DESIGN
    A list in the order results were added (so they are sent again in the
    order they ended), each entry the encoded TaskResult, its key
    "TASK_ID/ATTEMPT", the endpoint it is owed to and the seq of its last
    send (0 = held: waiting for a welcome). Answers come by seq, and a
    link has a handful of results in flight at most, so finding one walks
    the list; the bound keeps it short.
    =========================================================================  */
#include "fogrid.h"
#include "miner_results.h"

#define S_MAX_BYTES     (64 * 1024 * 1024)      //  kept at most, encoded

typedef struct {
    char key [100];             //  TASK_ID/ATTEMPT
    char task_id [64];
    uint32_t attempt;
    char endpoint [300];        //  the hub it is owed to
    uint64_t seq;               //  of its last send, 0 = held
    uint64_t batch;             //  the TaskResultBatch's seq it went in, 0 = alone
    byte *data;                 //  the encoded TaskResult
    size_t size;
} s_entry_t;

struct _miner_results_t {
    zlistx_t *entries;          //  s_entry_t, oldest first (owned)
    size_t bytes;               //  their encoded sizes summed
};

static void
s_entry_destroy (s_entry_t **self_p)
{
    if (*self_p) {
        free ((*self_p)->data);
        free (*self_p);
        *self_p = NULL;
    }
}

miner_results_t *
miner_results_new (void)
{
    miner_results_t *self = (miner_results_t *) zmalloc (sizeof (miner_results_t));
    self->entries = zlistx_new ();
    zlistx_set_destructor (self->entries, (zlistx_destructor_fn *) s_entry_destroy);
    return self;
}

void
miner_results_destroy (miner_results_t **self_p)
{
    if (*self_p) {
        zlistx_destroy (&(*self_p)->entries);
        free (*self_p);
        *self_p = NULL;
    }
}

//  Removes the entry at the list's cursor.
static void
s_remove_current (miner_results_t *self)
{
    s_entry_t *entry = (s_entry_t *) zlistx_item (self->entries);
    self->bytes -= entry->size;
    zlistx_delete (self->entries, zlistx_cursor (self->entries));
}

//  Moves the cursor to the entry with this key; NULL when none.
static s_entry_t *
s_find (miner_results_t *self, const char *key)
{
    for (s_entry_t *entry = (s_entry_t *) zlistx_first (self->entries); entry;
         entry = (s_entry_t *) zlistx_next (self->entries))
        if (streq (entry->key, key))
            return entry;
    return NULL;
}

size_t
miner_results_add (miner_results_t *self, const Fogrid__TaskResult *result, const char *endpoint)
{
    s_entry_t *entry = (s_entry_t *) zmalloc (sizeof (s_entry_t));
    snprintf (entry->key, sizeof entry->key, "%s/%u", result->task_id, result->attempt);
    snprintf (entry->task_id, sizeof entry->task_id, "%s", result->task_id);
    entry->attempt = result->attempt;
    snprintf (entry->endpoint, sizeof entry->endpoint, "%s", endpoint? endpoint: "");
    entry->size = fogrid__task_result__get_packed_size (result);
    entry->data = (byte *) malloc (entry->size? entry->size: 1);
    fogrid__task_result__pack (result, entry->data);
    if (s_find (self, entry->key))
        s_remove_current (self);
    size_t dropped = 0;
    while (zlistx_size (self->entries) && self->bytes + entry->size > S_MAX_BYTES) {
        zlistx_first (self->entries);
        s_remove_current (self);
        dropped++;
    }
    self->bytes += entry->size;
    zlistx_add_end (self->entries, entry);
    return dropped;
}

void
miner_results_sent (miner_results_t *self, const char *task_id, uint32_t attempt, uint64_t seq)
{
    char key [100];
    snprintf (key, sizeof key, "%s/%u", task_id, attempt);
    s_entry_t *entry = s_find (self, key);
    if (entry) {
        entry->seq = seq;
        entry->batch = 0;
    }
}

void
miner_results_sent_batch (miner_results_t *self, const char *task_id, uint32_t attempt,
                          uint64_t seq, uint64_t batch_seq)
{
    char key [100];
    snprintf (key, sizeof key, "%s/%u", task_id, attempt);
    s_entry_t *entry = s_find (self, key);
    if (entry) {
        entry->seq = seq;
        entry->batch = batch_seq;
    }
}

uint64_t
miner_results_seq (miner_results_t *self, const char *task_id, uint32_t attempt)
{
    char key [100];
    snprintf (key, sizeof key, "%s/%u", task_id, attempt);
    s_entry_t *entry = s_find (self, key);
    return entry? entry->seq: 0;
}

size_t
miner_results_batch (miner_results_t *self, uint64_t batch_seq, uint64_t *seqs, size_t capacity)
{
    size_t count = 0;
    for (s_entry_t *entry = (s_entry_t *) zlistx_first (self->entries); entry && count < capacity;
         entry = (s_entry_t *) zlistx_next (self->entries))
        if (batch_seq && entry->seq && entry->batch == batch_seq)
            seqs [count++] = entry->seq;
    return count;
}

bool
miner_results_held_for (fg_error_t code)
{
    return code == FG_E_HELLO || code == FG_E_RATE_LIMIT || code == FG_E_INTERNAL
        || code == FG_E_HUB_FULL || code == FG_E_TIMEOUT;
}

bool
miner_results_answer (miner_results_t *self, uint64_t seq, fg_error_t code)
{
    if (!seq)
        return false;
    for (s_entry_t *entry = (s_entry_t *) zlistx_first (self->entries); entry;
         entry = (s_entry_t *) zlistx_next (self->entries))
        if (entry->seq == seq) {
            if (miner_results_held_for (code))
                entry->seq = 0;         //  held: sent again later
            else
                s_remove_current (self);
            return true;
        }
    return false;
}

void
miner_results_hold_all (miner_results_t *self)
{
    for (s_entry_t *entry = (s_entry_t *) zlistx_first (self->entries); entry;
         entry = (s_entry_t *) zlistx_next (self->entries))
        entry->seq = 0;
}

bool
miner_results_forget (miner_results_t *self, const char *task_id, uint32_t attempt)
{
    char key [100];
    snprintf (key, sizeof key, "%s/%u", task_id, attempt);
    if (!s_find (self, key))
        return false;
    s_remove_current (self);
    return true;
}

size_t
miner_results_keep_only (miner_results_t *self, const char *endpoint)
{
    size_t dropped = 0;
    bool again = true;
    while (again) {
        again = false;
        for (s_entry_t *entry = (s_entry_t *) zlistx_first (self->entries); entry;
             entry = (s_entry_t *) zlistx_next (self->entries))
            if (!streq (entry->endpoint, endpoint)) {
                s_remove_current (self);    //  the cursor goes with it: start again
                dropped++;
                again = true;
                break;
            }
    }
    return dropped;
}

zlistx_t *
miner_results_held (miner_results_t *self)
{
    zlistx_t *held = zlistx_new ();
    for (s_entry_t *entry = (s_entry_t *) zlistx_first (self->entries); entry;
         entry = (s_entry_t *) zlistx_next (self->entries)) {
        if (entry->seq)
            continue;
        Fogrid__TaskResult *result = fogrid__task_result__unpack (NULL, entry->size, entry->data);
        if (result)
            zlistx_add_end (held, result);
    }
    return held;
}

size_t
miner_results_size (miner_results_t *self)
{
    return zlistx_size (self->entries);
}

size_t
miner_results_refs (miner_results_t *self, Fogrid__TaskRef *store, Fogrid__TaskRef **refs)
{
    size_t count = 0;
    for (s_entry_t *entry = (s_entry_t *) zlistx_first (self->entries); entry;
         entry = (s_entry_t *) zlistx_next (self->entries)) {
        fogrid__task_ref__init (&store [count]);
        store [count].task_id = entry->task_id;
        store [count].attempt = entry->attempt;
        refs [count] = &store [count];
        count++;
    }
    return count;
}
