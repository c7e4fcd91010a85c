/*  test_fg_msg - the envelope: round trip, version, garbage, size limit */
#include "test_support.h"

typedef struct {
    zsock_t *server;            //  ROUTER, as every daemon has
    zsock_t *client;            //  DEALER, as every client has
} s_pair_t;

static void
s_pair_open (s_pair_t *pair)
{
    pair->server = zsock_new (ZMQ_ROUTER);
    fg_msg_limit (pair->server, 64 * 1024);
    int port = zsock_bind (pair->server, "tcp://127.0.0.1:*");
    CU_ASSERT_FATAL (port > 0);
    pair->client = zsock_new (ZMQ_DEALER);
    zsock_set_rcvtimeo (pair->client, 2000);
    zsock_set_rcvtimeo (pair->server, 2000);
    zsock_connect (pair->client, "tcp://127.0.0.1:%d", port);
}

static void
s_pair_close (s_pair_t *pair)
{
    zsock_destroy (&pair->client);
    zsock_destroy (&pair->server);
}

static void
test_round_trip (void)
{
    s_pair_t pair;
    s_pair_open (&pair);
    Fogrid__SubmitRequest submit = FOGRID__SUBMIT_REQUEST__INIT;
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    char *argv [] = { "sh", "-c", "echo hello" };
    spec.n_argv = 3;
    spec.argv = argv;
    submit.spec = &spec;
    submit.client_token = "tok-1";
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = 42;
    env.body_case = FOGRID__ENVELOPE__BODY_SUBMIT;
    env.submit = &submit;
    CU_ASSERT_EQUAL (fg_msg_send (pair.client, NULL, &env), 0);

    zframe_t *peer = NULL;
    fg_error_t error;
    uint64_t seq;
    fg_env_t *got = fg_msg_recv (pair.server, &peer, &error, &seq);
    CU_ASSERT_PTR_NOT_NULL_FATAL (got);
    CU_ASSERT_EQUAL (error, FG_OK);
    CU_ASSERT_EQUAL (seq, 42);
    CU_ASSERT_EQUAL (got->version, FG_PROTO_VERSION);
    CU_ASSERT_STRING_EQUAL (fg_msg_body_name (got), "submit");
    CU_ASSERT_EQUAL (got->submit->spec->n_argv, 3);
    CU_ASSERT_STRING_EQUAL (got->submit->spec->argv [2], "echo hello");
    CU_ASSERT_STRING_EQUAL (got->submit->client_token, "tok-1");

    //  The reply goes back to the right peer with the same seq
    CU_ASSERT_EQUAL (fg_msg_send_error (pair.server, peer, seq, FG_E_HUB_FULL, "queue at %d", 10), 0);
    fg_env_t *reply = fg_msg_recv (pair.client, NULL, &error, &seq);
    CU_ASSERT_PTR_NOT_NULL_FATAL (reply);
    CU_ASSERT_EQUAL (reply->seq, 42);
    CU_ASSERT_EQUAL (reply->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (reply->error->code, FG_E_HUB_FULL);
    CU_ASSERT_STRING_EQUAL (reply->error->text, "queue at 10");
    fg_msg_free (&reply);
    fg_msg_free (&got);
    CU_ASSERT_PTR_NULL (got);
    zframe_destroy (&peer);
    s_pair_close (&pair);
}

static void
test_garbage_and_versions (void)
{
    s_pair_t pair;
    s_pair_open (&pair);
    fg_error_t error;
    uint64_t seq;
    zframe_t *peer = NULL;
    uint64_t malformed_before = fg_msg_refused (FG_E_MALFORMED);

    //  Bytes that are not an envelope
    zstr_send (pair.client, "\xff\xff\xff\xff garbage");
    fg_env_t *got = fg_msg_recv (pair.server, &peer, &error, &seq);
    CU_ASSERT_PTR_NULL (got);
    CU_ASSERT_EQUAL (error, FG_E_MALFORMED);
    CU_ASSERT_PTR_NOT_NULL (peer);      //  so the daemon can answer
    zframe_destroy (&peer);

    //  Two frames where one is expected
    zstr_sendm (pair.client, "a");
    zstr_send (pair.client, "b");
    got = fg_msg_recv (pair.server, &peer, &error, &seq);
    CU_ASSERT_PTR_NULL (got);
    CU_ASSERT_EQUAL (error, FG_E_MALFORMED);
    zframe_destroy (&peer);

    //  A version but no body
    zframe_t *bodyless = zframe_new ("\x08\x01", 2);
    zframe_send (&bodyless, pair.client, 0);
    got = fg_msg_recv (pair.server, &peer, &error, &seq);
    CU_ASSERT_PTR_NULL (got);
    CU_ASSERT_EQUAL (error, FG_E_MALFORMED);
    zframe_destroy (&peer);
    CU_ASSERT_EQUAL (fg_msg_refused (FG_E_MALFORMED), malformed_before + 3);

    //  No version at all (an empty frame decodes as an empty envelope;
    //  one with a body and a seq but no version): the proto promises
    //  VERSION for those, not MALFORMED
    uint64_t version_before = fg_msg_refused (FG_E_VERSION);
    zstr_send (pair.client, "");
    got = fg_msg_recv (pair.server, &peer, &error, &seq);
    CU_ASSERT_PTR_NULL (got);
    CU_ASSERT_EQUAL (error, FG_E_VERSION);
    zframe_destroy (&peer);
    const byte versionless [] = { 0x10, 0x2a, 0xaa, 0x04, 0x00 };      //  seq 42, health
    CU_ASSERT_PTR_NULL (fg_msg_decode (versionless, sizeof versionless, &error, &seq));
    CU_ASSERT_EQUAL (error, FG_E_VERSION);
    CU_ASSERT_EQUAL (seq, 42);
    CU_ASSERT_EQUAL (fg_msg_refused (FG_E_VERSION), version_before + 2);

    //  A well-formed envelope of another version: refused, seq still known
    Fogrid__Ok ok = FOGRID__OK__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.version = 99;
    env.seq = 7;
    env.body_case = FOGRID__ENVELOPE__BODY_OK;
    env.ok = &ok;
    size_t size = fogrid__envelope__get_packed_size (&env);
    zframe_t *frame = zframe_new (NULL, size);
    fogrid__envelope__pack (&env, zframe_data (frame));
    zframe_send (&frame, pair.client, 0);
    got = fg_msg_recv (pair.server, &peer, &error, &seq);
    CU_ASSERT_PTR_NULL (got);
    CU_ASSERT_EQUAL (error, FG_E_VERSION);
    CU_ASSERT_EQUAL (seq, 7);
    zframe_destroy (&peer);
    s_pair_close (&pair);
}

//  An envelope (version 1, seq, a HealthRequest) padded with an unknown
//  field to exactly size bytes (caller frees).
static zframe_t *
s_padded (uint64_t seq, size_t size)
{
    byte head [16];
    size_t used = 0;
    head [used++] = 0x08;                   //  version 1
    head [used++] = 0x01;
    head [used++] = 0x10;                   //  seq (one byte: < 128)
    head [used++] = (byte) seq;
    head [used++] = 0x9a;                   //  field 99, length-delimited
    head [used++] = 0x06;
    //  The padding's length as a varint; its own size depends on it
    size_t pad = size - used - 3;           //  minus the body (aa 04 00)
    byte length [10];
    size_t length_size = 0;
    for (size_t guess = 1; guess <= 5; guess++) {
        size_t value = pad - guess, at = 0;
        do {
            length [at++] = (byte) ((value & 0x7f) | (value > 0x7f? 0x80: 0));
            value >>= 7;
        } while (value);
        if (at == guess) {
            length_size = at;
            pad -= guess;
            break;
        }
    }
    CU_ASSERT_FATAL (length_size > 0);
    zframe_t *frame = zframe_new (NULL, size);
    byte *data = zframe_data (frame);
    memcpy (data, head, used);
    memcpy (data + used, length, length_size);
    memset (data + used + length_size, 'x', pad);
    memcpy (data + used + length_size + pad, "\xaa\x04\x00", 3);
    return frame;
}

static void
test_size_limit (void)
{
    s_pair_t pair;
    s_pair_open (&pair);
    CU_ASSERT_EQUAL (fg_msg_limit_of (pair.server), 64 * 1024);
    fg_error_t error;
    uint64_t seq;
    zframe_t *peer = NULL;
    //  At the limit: taken
    zframe_t *frame = s_padded (5, 64 * 1024);
    zframe_send (&frame, pair.client, 0);
    fg_env_t *got = fg_msg_recv (pair.server, &peer, &error, &seq);
    CU_ASSERT_PTR_NOT_NULL_FATAL (got);
    CU_ASSERT_EQUAL (got->body_case, FOGRID__ENVELOPE__BODY_HEALTH);
    fg_msg_free (&got);
    zframe_destroy (&peer);

    //  One byte over: it arrives, and is refused as TOO_BIG (counted),
    //  with its seq so the sender hears why; the connection stays
    uint64_t before = fg_msg_refused (FG_E_TOO_BIG);
    frame = s_padded (6, 64 * 1024 + 1);
    zframe_send (&frame, pair.client, 0);
    got = fg_msg_recv_request (pair.server, &peer, (char [41]) { 0 }, &seq, "test");
    CU_ASSERT_PTR_NULL (got);
    CU_ASSERT_EQUAL (seq, 6);
    CU_ASSERT_EQUAL (fg_msg_refused (FG_E_TOO_BIG), before + 1);
    got = fg_msg_recv (pair.client, NULL, &error, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL (got);
    CU_ASSERT_EQUAL (got->body_case, FOGRID__ENVELOPE__BODY_ERROR);
    CU_ASSERT_EQUAL (got->error->code, FG_E_TOO_BIG);
    CU_ASSERT_EQUAL (got->seq, 6);
    fg_msg_free (&got);
    //  ... the same client is still heard
    Fogrid__HealthRequest health = FOGRID__HEALTH_REQUEST__INIT;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = 7;
    env.body_case = FOGRID__ENVELOPE__BODY_HEALTH;
    env.health = &health;
    CU_ASSERT_EQUAL (fg_msg_send (pair.client, NULL, &env), 0);
    got = fg_msg_recv (pair.server, &peer, &error, &seq);
    CU_ASSERT_PTR_NOT_NULL (got);
    CU_ASSERT_EQUAL (seq, 7);
    fg_msg_free (&got);
    zframe_destroy (&peer);

    //  Past even the transport's limit (twice ours): libzmq drops the
    //  peer and nothing is delivered, nothing can be answered
    zframe_t *big = zframe_new (NULL, 2 * 64 * 1024 + 1);
    memset (zframe_data (big), 0, zframe_size (big));
    zframe_send (&big, pair.client, 0);
    zsock_set_rcvtimeo (pair.server, 300);
    got = fg_msg_recv (pair.server, &peer, &error, NULL);
    CU_ASSERT_PTR_NULL (got);
    CU_ASSERT_PTR_NULL (peer);
    s_pair_close (&pair);

    //  A socket without a limit of its own has the default
    zsock_t *plain = zsock_new (ZMQ_DEALER);
    CU_ASSERT_EQUAL (fg_msg_limit_of (plain), FG_MSG_MAX_DEFAULT);
    fg_msg_limit (plain, 0);
    CU_ASSERT_EQUAL (fg_msg_limit_of (plain), FG_MSG_MAX_DEFAULT);
    zsock_destroy (&plain);
}

//  A MinerHello (as a miner would write it) whose resources hold extra
//  bytes; its envelope in out, its size returned.
static size_t
s_hello_with (const byte *extra, size_t extra_size, byte *out)
{
    byte resources [16] = { 0x08, 0x04 };           //  cores = 4
    memcpy (resources + 2, extra, extra_size);
    byte hello [64] = { 0x0a, 0x03, 'm', '-', 'x', 0x1a, (byte) (2 + extra_size) };
    memcpy (hello + 7, resources, 2 + extra_size);
    size_t hello_size = 7 + 2 + extra_size;
    //  version 1, then field 40 (miner_hello)
    byte head [] = { 0x08, 0x01, 0xc2, 0x02, (byte) hello_size };
    memcpy (out, head, sizeof head);
    memcpy (out + sizeof head, hello, hello_size);
    return sizeof head + hello_size;
}

//  protobuf-c reads a field number 0 written in two bytes but writes it in
//  the form it refuses, so a copy of such a message (the hub copies a
//  miner's resources) would fail: the decoder refuses it, at any depth
static void
test_field_zero (void)
{
    byte data [128];
    fg_error_t error;
    const byte unknown [] = { 0x98, 0x06, 0x01 };   //  field 99, not ours: kept
    size_t size = s_hello_with (unknown, sizeof unknown, data);
    fg_env_t *env = fg_msg_decode (data, size, &error, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL (env);
    CU_ASSERT_EQUAL (env->miner_hello->resources->cores, 4);
    //  ... and it survives a copy
    byte copy [128];
    size_t packed = fogrid__resources__pack (env->miner_hello->resources, copy);
    Fogrid__Resources *again = fogrid__resources__unpack (NULL, packed, copy);
    CU_ASSERT_PTR_NOT_NULL (again);
    fogrid__resources__free_unpacked (again, NULL);
    fg_msg_free (&env);

    const byte zero [] = { 0x80, 0x00, 0x01 };      //  field 0, varint, in two bytes
    size = s_hello_with (zero, sizeof zero, data);
    uint64_t refused = fg_msg_refused (FG_E_MALFORMED);
    CU_ASSERT_PTR_NULL (fg_msg_decode (data, size, &error, NULL));
    CU_ASSERT_EQUAL (error, FG_E_MALFORMED);
    CU_ASSERT_EQUAL (fg_msg_refused (FG_E_MALFORMED), refused + 1);
    //  At the top too
    byte top [] = { 0x08, 0x01, 0x80, 0x00, 0x01, 0xaa, 0x04, 0x00 };     //  + health
    CU_ASSERT_PTR_NULL (fg_msg_decode (top, sizeof top, &error, NULL));
    CU_ASSERT_EQUAL (error, FG_E_MALFORMED);
    top [2] = 0x98;                                 //  field 99 instead: fine
    top [3] = 0x06;
    env = fg_msg_decode (top, sizeof top, &error, NULL);
    CU_ASSERT_PTR_NOT_NULL (env);
    if (env)
        CU_ASSERT_EQUAL (env->body_case, FOGRID__ENVELOPE__BODY_HEALTH);
    fg_msg_free (&env);
}

//  A strict reader's view, written apart from fg_msg's: true when every
//  string field of msg, at any depth, is valid UTF-8 (what Python's, Go's
//  and Java's protobuf runtimes insist on before they hand a message over)
static bool
s_strict (const ProtobufCMessage *msg)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    for (unsigned index = 0; index < desc->n_fields; index++) {
        const ProtobufCFieldDescriptor *field = &desc->fields [index];
        const char *at = (const char *) msg + field->offset;
        if ((field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        &&  *(const uint32_t *) ((const char *) msg + field->quantifier_offset) != field->id)
            continue;
        //  Only strings and messages are pointers: a number's field may sit
        //  where no pointer could be read (two uint32 side by side)
        if (field->type != PROTOBUF_C_TYPE_STRING && field->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        size_t count = 1;
        void *const *items = (void *const *) at;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            count = *(const size_t *) ((const char *) msg + field->quantifier_offset);
            items = *(void *const *const *) at;
        }
        for (size_t item = 0; item < count; item++) {
            if (!items [item])
                continue;
            if (field->type == PROTOBUF_C_TYPE_STRING && !fg_utf8_valid ((const char *) items [item]))
                return false;
            if (field->type == PROTOBUF_C_TYPE_MESSAGE && !s_strict ((const ProtobufCMessage *) items [item]))
                return false;
        }
    }
    return true;
}

//  What goes out is UTF-8 whatever the sender holds: bad bytes become '?'
//  on the wire (the sender's own strings are left alone), and
//  fg_msg_utf8_find names the first bad field for a refusal
static void
test_utf8_out (void)
{
    char *argv [] = { "echo", "caf\xe9", "fine \xc3\xa9" };
    Fogrid__Label label = FOGRID__LABEL__INIT, *labels [] = { &label };
    label.key = "zone";
    label.value = "eu-\xc3";            //  a character cut short
    Fogrid__TaskSpec spec = FOGRID__TASK_SPEC__INIT;
    spec.n_argv = 3;
    spec.argv = argv;
    spec.n_labels = 1;
    spec.labels = labels;
    Fogrid__TaskInfo info = FOGRID__TASK_INFO__INIT;
    info.task_id = "t-1";
    info.spec = &spec;
    info.reason = "could not run: \xed\xa0\x80";       //  a surrogate
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = 3;
    env.body_case = FOGRID__ENVELOPE__BODY_TASK_INFO;
    env.task_info = &info;
    char path [128];
    CU_ASSERT_TRUE (fg_msg_utf8_find (&env.base, path, sizeof path));
    CU_ASSERT_STRING_EQUAL (path, "task_info.reason");       //  field 5, before spec's 7
    CU_ASSERT_TRUE (fg_msg_utf8_find (&spec.base, path, sizeof path));
    CU_ASSERT_STRING_EQUAL (path, "argv[1]");
    label.value = "eu-west";
    argv [1] = "cafe";
    CU_ASSERT_FALSE (fg_msg_utf8_find (&spec.base, path, sizeof path));
    label.key = "zone\xff";
    CU_ASSERT_TRUE (fg_msg_utf8_find (&spec.base, path, sizeof path));
    CU_ASSERT_STRING_EQUAL (path, "labels[0].key");
    label.key = "zone";
    label.value = "eu-\xc3";
    argv [1] = "caf\xe9";
    CU_ASSERT_FALSE (s_strict (&env.base));

    //  A client's request goes as it is (the server names the field)
    zmsg_t *msg = fg_msg_encode (NULL, &env);
    zframe_t *frame = zmsg_first (msg);
    fg_error_t error;
    fg_env_t *got = fg_msg_decode (zframe_data (frame), zframe_size (frame), &error, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL (got);
    CU_ASSERT_STRING_EQUAL (got->task_info->spec->argv [1], "caf\xe9");
    fg_msg_free (&got);
    zmsg_destroy (&msg);
    //  A server's (a routing id: its ROUTER's) goes out readable
    zframe_t *routing = zframe_new ("peer", 4);
    msg = fg_msg_encode (routing, &env);
    zframe_destroy (&routing);
    frame = zmsg_last (msg);
    got = fg_msg_decode (zframe_data (frame), zframe_size (frame), &error, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL (got);
    CU_ASSERT_TRUE (s_strict (&got->base));
    CU_ASSERT_STRING_EQUAL (got->task_info->spec->argv [1], "caf?");
    CU_ASSERT_STRING_EQUAL (got->task_info->spec->argv [2], "fine \xc3\xa9");
    CU_ASSERT_STRING_EQUAL (got->task_info->spec->labels [0]->value, "eu-?");
    CU_ASSERT_STRING_EQUAL (got->task_info->reason, "could not run: ???");
    CU_ASSERT_FALSE (fg_msg_utf8_find (&got->base, path, sizeof path));
    CU_ASSERT_STRING_EQUAL (path, "");
    fg_msg_free (&got);
    zmsg_destroy (&msg);
    CU_ASSERT_STRING_EQUAL (argv [1], "caf\xe9");     //  the caller's, untouched

    //  An error's text is cut at 512 bytes, maybe inside a character
    s_pair_t pair;
    s_pair_open (&pair);
    char long_id [700] = "";
    for (int index = 0; index < 300; index++)
        strcat (long_id, "\xc3\xa9");
    fg_msg_send_ok (pair.client, NULL, 1, "hello");
    zframe_t *peer = NULL;
    got = fg_msg_recv (pair.server, &peer, &error, NULL);
    fg_msg_free (&got);
    fg_msg_send_error (pair.server, peer, 9, FG_E_NOT_FOUND, "no task %s", long_id + 1);
    got = fg_msg_recv (pair.client, NULL, &error, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL (got);
    CU_ASSERT_EQUAL (got->error->code, FG_E_NOT_FOUND);
    CU_ASSERT_TRUE (s_strict (&got->base));
    CU_ASSERT_EQUAL (strncmp (got->error->text, "no task ?", 9), 0);
    fg_msg_free (&got);
    zframe_destroy (&peer);
    s_pair_close (&pair);
}

void
test_fg_msg_add (void)
{
    ts_add_suite ("fg_msg",
        "encode, decode, reply", test_round_trip,
        "garbage and foreign versions are refused", test_garbage_and_versions,
        "an oversized message is answered TOO_BIG, one past the transport limit dropped",
        test_size_limit,
        "a field number 0 anywhere is refused", test_field_zero,
        "strings go out as UTF-8 whatever the sender holds", test_utf8_out,
        NULL);
}
