/*  =========================================================================
    bench - what the dispatch benchmark's parts share

    Each part dispatches the same number of trivial tasks from one client
    to 4 workers and reports, per task, when it was submitted and when its
    result was back; the summary turns those into tasks per second and
    latency percentiles, so every system is measured the same way.
    =========================================================================  */
#ifndef BENCH_H_INCLUDED
#define BENCH_H_INCLUDED

#include "fogrid.h"

typedef struct {
    int tasks;                  //  how many tasks to dispatch
    int workers;                //  miners / workers
    size_t request_size;        //  bytes of a submit, as fogrid encodes it
    size_t assign_size;         //  bytes of an assignment
    size_t result_size;         //  bytes of a result
    const char *bin_dir;        //  where the fogrid programs are
    int backlog;                //  tasks no miner takes, queued first (one fogrid run)
    int array;                  //  elements of the job array run (0: none)
    const char *durability;     //  the hubs' hub/durability (NULL: normal)
} bench_params_t;

typedef struct {
    const char *name;
    int done;                   //  tasks completed
    int64_t *submitted_us;      //  per task
    int64_t *completed_us;      //  per task
    char note [256];            //  why it was skipped, or what it measured
    bool skipped;
} bench_result_t;

int64_t bench_now_us (void);

//  Processes for the parts (bench_proc.c): starts argv[0] with its output
//  in DIR/LOG; stops with SIGTERM, then SIGKILL after 2 s.
pid_t bench_spawn (const char *dir, const char *log, char **argv);
void bench_stop (pid_t pid);
//  A TCP port on 127.0.0.1 nothing listens on now.
int bench_free_port (void);
//  The p-th percentile (0..100) of count values, sorted in place.
double bench_percentile (int64_t *values, size_t count, double p);
bench_result_t *bench_result_new (const char *name, int tasks);
void bench_result_destroy (bench_result_t **self_p);

//  The parts; each fills a result.
void bench_ceiling (const bench_params_t *params, bench_result_t *result);
void bench_gearman (const bench_params_t *params, bench_result_t *result);
//  backlog: tasks queued before the measured ones that no miner can take
//  (they ask for more cores than any has), as a hub with a deep queue
//  has; 0 for none.
void bench_fogrid (const bench_params_t *params, bench_result_t *result, const char *runtime,
                   int backlog);

//  An array of count null tasks: seconds from its one submit to its last
//  result (0 when it failed: note says why).
double bench_fogrid_array (const bench_params_t *params, int count, char *note, size_t note_size);
//  p50 submit-to-result ms of null tasks one at a time (0 on failure).
double bench_fogrid_one (const bench_params_t *params, int rounds, char *note, size_t note_size);

//  References (bench_refs.c): a bare posix_spawn + waitpid loop of
//  /bin/true, parallel at once (tasks/s); the p50 round trip in ms of a
//  message of size bytes between a DEALER and an echoing ROUTER.
double bench_spawn_rate (int total, int parallel);
double bench_dealer_rtt_ms (size_t size, int rounds);

#endif
