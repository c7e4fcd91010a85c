/*  =========================================================================
    miner_live - a running task's output on its way to the hub as it
    comes (fogrid logs -f), bounded and batched

    The runtime's thread puts what it reads; the link's loop takes it
    every MINER_LIVE_BATCH_MS and sends one TaskOutput per task that
    printed something:

        miner_live_put (live, 1, data, size);           //  runtime thread
        miner_live_send (tasks, send_fn, link);         //  link, every batch

    What waits is bounded (MINER_LIVE_PENDING bytes per task): a task
    that prints faster than the link sends loses the excess from the live
    view (never from its result), and the next batch says how much, on
    its stderr stream, so a reader knows lines are missing.
    =========================================================================  */
#ifndef MINER_LIVE_H_INCLUDED
#define MINER_LIVE_H_INCLUDED

#include "miner_tasks.h"

#define MINER_LIVE_BATCH_MS     200
#define MINER_LIVE_PENDING      (64 * 1024)
//  TaskOutput messages in one batch at most (5 batches a second: a tenth
//  of the hub's default hub/miner_rate, so results never wait behind
//  output); with more tasks printing, they take turns
#define MINER_LIVE_MAX_SENDS    20

typedef struct _miner_live_t miner_live_t;

miner_live_t *miner_live_new (void);
void miner_live_destroy (miner_live_t **self_p);

//  From any thread: what the task printed on stream (1 stdout, 2 stderr).
//  Nothing when self is NULL.
void miner_live_put (miner_live_t *self, uint32_t stream, const byte *data, size_t size);

//  From a docker task's output as the attach stream fills it: what came
//  on each stream after seen [0] (stdout) and seen [1] (stderr) bytes,
//  which it moves on. Within the output's own bound.
struct _miner_docker_output_t;
void miner_live_put_output (miner_live_t *self, struct _miner_docker_output_t *output,
                            size_t seen [2]);

//  Sends, through send_fn, a TaskOutput for each task of tasks that
//  printed since the last call, MINER_LIVE_MAX_SENDS at most, starting
//  at the task *turn names (the caller's, moved on). Returns how many.
typedef void (miner_live_send_fn) (void *arg, fg_env_t *env);
size_t miner_live_send (miner_tasks_t *tasks, size_t *turn, miner_live_send_fn *send_fn,
                        void *arg);

//  The same for one task (before its result: the last lines go first).
//  True when it sent one.
bool miner_live_send_runner (miner_runner_t *runner, miner_live_send_fn *send_fn, void *arg);

#endif
