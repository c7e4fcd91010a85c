/*  =========================================================================
    miner_pipeline - the work a hub link holds beyond its share, waiting
    for a slot, and the TaskStarted it owes in one message

    A link states queue_slots in its hello's Resources: the hub may then
    give it that many tasks more than its share takes at once (its
    hub/assign_credit), so the next task is there when one ends, with no
    round trip between. They wait here, in the order given, and start as
    slots free:

        miner_pipeline_t *pipeline = miner_pipeline_new (4);
        ...a TaskAssign that does not fit the share now:
        if (miner_pipeline_hold (pipeline, assign)) ...waits, else refused...
        ...a slot freed:
        Fogrid__TaskAssign *next;
        while ((next = miner_pipeline_next (pipeline, fits, link))) {
            ...start it...
            miner_pipeline_started (pipeline, next->task_id, next->attempt);
            fogrid__task_assign__free_unpacked (next, NULL);
        }
        ...the end of a turn: what started goes in one message
        fg_env_t *started = miner_pipeline_flush (pipeline, batches);

    A held task is the hub's assignment: the hello lists it (so a hub that
    restarts keeps it), a kill drops it, and it reports no result until
    it ran.
    =========================================================================  */
#ifndef MINER_PIPELINE_H_INCLUDED
#define MINER_PIPELINE_H_INCLUDED

typedef struct _miner_pipeline_t miner_pipeline_t;

//  True when spec may start now (it fits what is free of the share)
typedef bool (miner_pipeline_fits_fn) (void *arg, const Fogrid__TaskSpec *spec);

miner_pipeline_t *miner_pipeline_new (uint32_t slots);
void miner_pipeline_destroy (miner_pipeline_t **self_p);

//  The slots it was made with (Resources.queue_slots).
uint32_t miner_pipeline_slots (miner_pipeline_t *self);

//  Keeps a copy of assign, to start when it fits. False when every slot
//  is taken, or the task could never fit an idle share (cores, memory,
//  GPUs of share): then it is the caller's to refuse.
bool miner_pipeline_hold (miner_pipeline_t *self, const Fogrid__TaskAssign *assign,
                          const Fogrid__Resources *share);

//  True when task_id/attempt waits here.
bool miner_pipeline_holds (miner_pipeline_t *self, const char *task_id, uint32_t attempt);

//  Drops task_id/attempt (the hub asked it killed); true when it waited.
bool miner_pipeline_drop (miner_pipeline_t *self, const char *task_id, uint32_t attempt);

//  Drops everything waiting (the link lost its hub, or stops).
void miner_pipeline_clear (miner_pipeline_t *self);

//  The first waiting task that fits now, taken out (the caller frees it
//  with fogrid__task_assign__free_unpacked); NULL when none does. Tasks
//  start in the order given, so a big one is not passed by every small one.
Fogrid__TaskAssign *miner_pipeline_next (miner_pipeline_t *self, miner_pipeline_fits_fn *fits,
                                         void *arg);

//  The waiting tasks as refs (for a hello), into store and refs from
//  their start, sized by miner_pipeline_size; returns how many.
size_t miner_pipeline_size (miner_pipeline_t *self);
size_t miner_pipeline_refs (miner_pipeline_t *self, Fogrid__TaskRef *store,
                            Fogrid__TaskRef **refs);

//  A task started: its TaskStarted waits for miner_pipeline_flush.
void miner_pipeline_started (miner_pipeline_t *self, const char *task_id, uint32_t attempt);

//  What started since the last flush, as one envelope to send (the caller
//  sets seq and frees it with miner_pipeline_envelope_free): a
//  TaskStartedBatch when batches (the hub's welcome said it takes them)
//  and more than one, else a TaskStarted each, one per call. NULL when
//  nothing is owed.
fg_env_t *miner_pipeline_flush (miner_pipeline_t *self, bool batches);
void miner_pipeline_envelope_free (fg_env_t **env_p);

#endif
