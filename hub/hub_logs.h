/*  =========================================================================
    hub_logs - what running tasks printed, kept for `fogrid logs -f`

    A bounded ring of output per task: the miner's TaskOutput chunks go
    in as they come, a buyer's LogsRequest reads from an offset. Offsets
    count every byte the task printed (stdout and stderr together, in the
    order they came), so a reader that asks again from next_offset gets
    each byte once; when the ring wrapped past its offset it is told how
    many bytes it missed (dropped) instead of getting them silently lost.

        hub_logs_t *logs = hub_logs_new (256 * 1024);
        hub_logs_append (logs, "t-1", 1, data, size);          //  TaskOutput
        Fogrid__LogsReply reply = FOGRID__LOGS_REPLY__INIT;
        hub_logs_read (logs, "t-1", offset, 64 * 1024, &reply);  //  LogsRequest
        ...send reply...
        hub_logs_reply_reset (&reply);
        hub_logs_finish (logs, "t-1");                          //  the task ended
        hub_logs_remove (logs, "t-1");                          //  its result is stored
    =========================================================================  */
#ifndef HUB_LOGS_H_INCLUDED
#define HUB_LOGS_H_INCLUDED

typedef struct _hub_logs_t hub_logs_t;

//  ring_bytes: the most kept of each task's output (0 = 256 KiB).
hub_logs_t *hub_logs_new (size_t ring_bytes);
void hub_logs_destroy (hub_logs_t **self_p);

//  Adds what task printed on stream (1 stdout, 2 stderr). A new ring is
//  made for a task not seen yet; a finished task takes nothing more.
void hub_logs_append (hub_logs_t *self, const char *task_id, uint32_t stream,
                      const byte *data, size_t size);

//  Fills reply with task's output from offset, at most max bytes of
//  data, sets next_offset, dropped and finished. Returns 0, or -1 when
//  no ring is kept for task (reply untouched).
int hub_logs_read (hub_logs_t *self, const char *task_id, uint64_t offset, size_t max,
                   Fogrid__LogsReply *reply);

//  Fills reply, as hub_logs_read would, from a finished task's stored
//  output (its stdout, then its stderr): finished, nothing dropped.
void hub_logs_read_stored (const byte *out, size_t out_size, const byte *err, size_t err_size,
                           uint64_t offset, size_t max, Fogrid__LogsReply *reply);

//  Puts what task's ring holds into result's stdout and stderr (each
//  stream's bytes in order; truncated when the ring lost some), so that
//  a task that ends without a result of its own (cancelled) keeps what it
//  printed. Free with hub_logs_result_reset. 0, or -1 when no ring.
int hub_logs_as_result (hub_logs_t *self, const char *task_id, Fogrid__TaskResult *result);
void hub_logs_result_reset (Fogrid__TaskResult *result);

//  Frees what hub_logs_read put in reply.
void hub_logs_reply_reset (Fogrid__LogsReply *reply);

//  The task ended: readers are told so once they reach the end. Its ring
//  stays a while for late followers (the last 64 ended tasks'); a task
//  that printed nothing has none.
void hub_logs_finish (hub_logs_t *self, const char *task_id);

//  Forgets task's ring.
void hub_logs_remove (hub_logs_t *self, const char *task_id);

//  Bytes held now, over every ring (for figures and tests).
size_t hub_logs_bytes (hub_logs_t *self);

#endif
