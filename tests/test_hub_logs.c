/*  =========================================================================
    test_hub_logs - the rings of running tasks' output

    Random writes against the rule written plainly: the whole output as
    one string. A reader that follows with next_offset sees every byte
    still in the ring once, in order, and is told exactly how many it
    missed when the ring wrapped past it.
    =========================================================================  */
#include "test_support.h"
#include "hub_logs.h"

//  Reads everything from offset on, in pieces of at most max; checks each
//  piece against all (what was printed) at its offset, counts what it
//  read in got, returns the next offset, adds what was dropped.
static uint64_t
s_follow (hub_logs_t *logs, const char *task, uint64_t offset, size_t max, zchunk_t *got_all,
          size_t *got,
          uint64_t *dropped, bool *finished)
{
    while (true) {
        Fogrid__LogsReply reply = FOGRID__LOGS_REPLY__INIT;
        CU_ASSERT_EQUAL_FATAL (hub_logs_read (logs, task, offset, max, &reply), 0);
        *dropped += reply.dropped;
        uint64_t at = offset + reply.dropped;
        for (size_t index = 0; index < reply.n_chunks; index++) {
            CU_ASSERT_EQUAL (reply.chunks [index]->offset, at);
            at += reply.chunks [index]->data.len;
            Fogrid__OutputChunk *chunk = reply.chunks [index];
            CU_ASSERT_FATAL (chunk->offset + chunk->data.len <= zchunk_size (got_all));
            CU_ASSERT (memcmp (chunk->data.data, zchunk_data (got_all) + chunk->offset,
                               chunk->data.len) == 0);
            *got += chunk->data.len;
        }
        CU_ASSERT_EQUAL (reply.next_offset, at);
        *finished = reply.finished;
        bool more = reply.next_offset != offset + reply.dropped;
        offset = reply.next_offset;
        hub_logs_reply_reset (&reply);
        if (!more)
            return offset;
    }
}

static void
test_follow_random (void)
{
    srandom (42);
    for (int round = 0; round < 200; round++) {
        size_t ring = 64 + (size_t) (random () % 4096);
        hub_logs_t *logs = hub_logs_new (ring);
        zchunk_t *all = zchunk_new (NULL, 0);          //  everything printed
        size_t got = 0;                                 //  bytes read
        uint64_t offset = 0, dropped = 0;
        bool finished = false;
        int writes = 1 + (int) (random () % 50);
        for (int write = 0; write < writes; write++) {
            byte data [2000];
            size_t size = (size_t) (random () % (random () % 4? 200: 2000));
            for (size_t index = 0; index < size; index++)
                data [index] = (byte) ('a' + (zchunk_size (all) + index) % 26);
            hub_logs_append (logs, "t-1", 1 + (uint32_t) (random () % 2), data, size);
            zchunk_extend (all, data, size);
            if (random () % 3 == 0)
                offset = s_follow (logs, "t-1", offset, 1 + (size_t) (random () % 300), all,
                                   &got, &dropped, &finished);
            CU_ASSERT (hub_logs_bytes (logs) <= ring);
        }
        hub_logs_finish (logs, "t-1");
        hub_logs_append (logs, "t-1", 1, (const byte *) "late", 4);    //  not taken
        offset = s_follow (logs, "t-1", offset, 1 + (size_t) (random () % 300), all, &got,
                           &dropped, &finished);
        CU_ASSERT (finished);
        //  Read plus missed is all of it; what was read is what was printed
        CU_ASSERT_EQUAL (got + dropped, zchunk_size (all));
        CU_ASSERT_EQUAL (offset, zchunk_size (all));
        zchunk_destroy (&all);
        hub_logs_destroy (&logs);
    }
}

static void
test_exact_content (void)
{
    hub_logs_t *logs = hub_logs_new (10);
    hub_logs_append (logs, "t-1", 1, (const byte *) "hello\n", 6);
    hub_logs_append (logs, "t-1", 2, (const byte *) "oops\n", 5);
    Fogrid__LogsReply reply = FOGRID__LOGS_REPLY__INIT;
    //  The ring (10 bytes) kept the last whole chunk only: "hello\n" left
    CU_ASSERT_EQUAL (hub_logs_read (logs, "t-1", 0, 1000, &reply), 0);
    CU_ASSERT_EQUAL (reply.dropped, 6);
    CU_ASSERT_EQUAL (reply.n_chunks, 1);
    CU_ASSERT_EQUAL (reply.chunks [0]->stream, 2);
    CU_ASSERT_EQUAL (memcmp (reply.chunks [0]->data.data, "oops\n", 5), 0);
    CU_ASSERT_EQUAL (reply.next_offset, 11);
    CU_ASSERT (!reply.finished);
    hub_logs_reply_reset (&reply);
    //  From the middle of a chunk
    CU_ASSERT_EQUAL (hub_logs_read (logs, "t-1", 8, 1000, &reply), 0);
    CU_ASSERT_EQUAL (reply.dropped, 0);
    CU_ASSERT_EQUAL (reply.n_chunks, 1);
    CU_ASSERT_EQUAL (reply.chunks [0]->data.len, 3);
    CU_ASSERT_EQUAL (memcmp (reply.chunks [0]->data.data, "ps\n", 3), 0);
    hub_logs_reply_reset (&reply);
    //  A chunk bigger than the ring keeps its tail
    hub_logs_append (logs, "t-1", 1, (const byte *) "0123456789abcdef", 16);
    CU_ASSERT_EQUAL (hub_logs_bytes (logs), 10);
    CU_ASSERT_EQUAL (hub_logs_read (logs, "t-1", 11, 1000, &reply), 0);
    CU_ASSERT_EQUAL (reply.dropped, 6);
    CU_ASSERT_EQUAL (reply.chunks [0]->data.len, 10);
    CU_ASSERT_EQUAL (memcmp (reply.chunks [0]->data.data, "6789abcdef", 10), 0);
    hub_logs_reply_reset (&reply);
    hub_logs_finish (logs, "t-1");
    CU_ASSERT_EQUAL (hub_logs_read (logs, "t-1", 27, 1000, &reply), 0);
    CU_ASSERT (reply.finished);
    CU_ASSERT_EQUAL (reply.n_chunks, 0);
    hub_logs_reply_reset (&reply);
    //  Unknown and removed tasks
    CU_ASSERT_EQUAL (hub_logs_read (logs, "t-2", 0, 1000, &reply), -1);
    hub_logs_remove (logs, "t-1");
    CU_ASSERT_EQUAL (hub_logs_read (logs, "t-1", 0, 1000, &reply), -1);
    CU_ASSERT_EQUAL (hub_logs_bytes (logs), 0);
    hub_logs_destroy (&logs);
}

void
test_hub_logs_add (void)
{
    CU_pSuite suite = CU_add_suite ("hub_logs", NULL, NULL);
    CU_add_test (suite, "exact content, wrap, finish", test_exact_content);
    CU_add_test (suite, "following random output against the whole", test_follow_random);
}
