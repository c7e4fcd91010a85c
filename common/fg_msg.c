/*  =========================================================================
    fg_msg - the versioned envelope on the wire

    DESIGN
    The decoder is the first thing outside input reaches, so it trusts
    nothing: the frame count, the frame size and the encoding are all
    checked before any field is read. protobuf-c's unpacker validates the
    wire format and allocates everything it returns; a failure there is a
    malformed message, never a crash. The version is checked after decoding
    because a peer of another version still encodes the version field in the
    same place (field 1 of the envelope), so it can be told which version it
    should speak.

    protobuf-c keeps the fields it does not know, at any depth, to write
    them back, and it reads a field number 0 written in two bytes, which
    it then writes in the one-byte form that it refuses. Field number 0 is
    not protobuf; the daemons copy what they keep by packing and unpacking
    it (the hub a miner's resources and load and a task's spec, the
    locator a registration), so such a field would make a copy fail where
    nothing expects it to (a hub killed by one hello). So a message that
    holds one anywhere is refused here, as malformed.
    =========================================================================  */
#include "fogrid.h"
#include <stdarg.h>
#include <limits.h>

//  Refusal counters, per reason; atomics because every actor thread decodes.
static uint64_t s_refused [FG_E_LAST];

//  The application's limit is the socket's own: fg_msg_limit sets the
//  transport limit (ZMQ_MAXMSGSIZE) to S_TRANSPORT_FACTOR times it, and
//  the receive path reads it back, so each socket keeps its limit without
//  a table here. A message over the application's limit but under the
//  transport's arrives, and is answered FG_E_TOO_BIG and counted; one
//  past even the transport's limit still makes libzmq drop the
//  connection without a word (it never reaches us), which is why the
//  margin is generous. Decoding without a socket (fg_msg_decode, the
//  fuzzers) uses the default limit.
#define S_TRANSPORT_FACTOR 2

void
fg_msg_limit (zsock_t *sock, int64_t max_bytes)
{
    if (max_bytes <= 0)
        max_bytes = FG_MSG_MAX_DEFAULT;
    if (max_bytes > INT_MAX / S_TRANSPORT_FACTOR)
        max_bytes = INT_MAX / S_TRANSPORT_FACTOR;
    zsock_set_maxmsgsize (sock, (int) (max_bytes * S_TRANSPORT_FACTOR));
}

int64_t
fg_msg_limit_of (zsock_t *sock)
{
    int transport = zsock_maxmsgsize (sock);
    return transport > 0? transport / S_TRANSPORT_FACTOR: FG_MSG_MAX_DEFAULT;
}

//  Calls fn on each string field of msg (at any depth) until it returns
//  false; path (if not NULL) names the field ("spec.argv[1]"). Returns
//  false when fn stopped the walk.
typedef bool (s_string_fn) (char *text, void *arg);

static bool
s_strings_walk (const ProtobufCMessage *msg, s_string_fn *fn, void *arg, char *path,
                size_t size)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    const char *base = (const char *) msg;
    size_t used = path? strlen (path): 0;
    for (unsigned index = 0; index < desc->n_fields; index++) {
        const ProtobufCFieldDescriptor *field = &desc->fields [index];
        if (field->type != PROTOBUF_C_TYPE_STRING && field->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        size_t count = 1;
        void *const *items = (void *const *) (base + field->offset);
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            count = *(const size_t *) (base + field->quantifier_offset);
            items = *(void *const *const *) (base + field->offset);
        }
        else
        if ((field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        &&  *(const uint32_t *) (base + field->quantifier_offset) != field->id)
            continue;           //  a oneof's members share one place
        for (size_t item = 0; item < count; item++) {
            if (!items [item])
                continue;
            if (path) {
                if (field->label == PROTOBUF_C_LABEL_REPEATED)
                    snprintf (path + used, size - used, "%s%s[%zu]", used? ".": "",
                              field->name, item);
                else
                    snprintf (path + used, size - used, "%s%s", used? ".": "", field->name);
            }
            bool go_on = field->type == PROTOBUF_C_TYPE_STRING
                       ? fn ((char *) items [item], arg)
                       : s_strings_walk ((const ProtobufCMessage *) items [item], fn, arg,
                                         path, size);
            if (!go_on)
                return false;
            if (path)
                path [used] = 0;
        }
    }
    return true;
}

static bool
s_utf8_fn (char *text, void *arg)
{
    (void) arg;
    return fg_utf8_valid (text);
}

static bool
s_clean_fn (char *text, void *arg)
{
    (void) arg;
    fg_msg_utf8_clean (text);
    return true;
}

bool
fg_msg_utf8_find (const ProtobufCMessage *msg, char *path, size_t size)
{
    if (path && size)
        *path = 0;
    return !s_strings_walk (msg, s_utf8_fn, NULL, path && size? path: NULL, size);
}

void
fg_msg_utf8_clean (char *text)
{
    size_t left = strlen (text);
    while (left) {
        size_t length = fg_utf8_length ((const unsigned char *) text, left);
        if (length == 0) {
            *text = '?';        //  one byte for one: the length never changes
            length = 1;
        }
        text += length;
        left -= length;
    }
}

zmsg_t *
fg_msg_encode (zframe_t *routing_id, fg_env_t *env)
{
    env->version = FG_PROTO_VERSION;
    size_t size = fogrid__envelope__get_packed_size (env);
    zmsg_t *msg = zmsg_new ();
    if (routing_id)
        zmsg_append (msg, &(zframe_t *) { zframe_dup (routing_id) });
    zframe_t *frame = zframe_new (NULL, size);
    fogrid__envelope__pack (env, zframe_data (frame));
    //  proto3 strings are UTF-8, and a conforming decoder (Python, Go,
    //  Java) refuses the whole message when one is not. What a server
    //  sends on its ROUTER (the messages with a routing id) may quote
    //  what it was given (a miner's error text, a name in an error): a
    //  copy with '?' for each bad byte goes out instead, whatever the
    //  caller holds. The copy is the same size, so it is packed again in
    //  place. A client's request goes as it is: the server refuses it
    //  with the field's name, rather than act on text the sender did not
    //  write.
    //  The walk without names first: naming each field costs more than
    //  checking it, and is only wanted for the log line
    if (routing_id && fg_msg_utf8_find (&env->base, NULL, 0)) {
        fg_env_t *copy = fogrid__envelope__unpack (NULL, size, zframe_data (frame));
        char path [128];
        fg_msg_utf8_find (&env->base, path, sizeof path);
        if (copy) {
            fg_debug ("fg_msg: %s holds bytes that are not UTF-8: sent with '?' "
                          "for them", path);
            s_strings_walk (&copy->base, s_clean_fn, NULL, NULL, 0);
            assert (fogrid__envelope__get_packed_size (copy) == size);
            fogrid__envelope__pack (copy, zframe_data (frame));
            fogrid__envelope__free_unpacked (copy, NULL);
        }
    }
    zmsg_append (msg, &frame);
    return msg;
}

int
fg_msg_send (zsock_t *sock, zframe_t *routing_id, fg_env_t *env)
{
    zmsg_t *msg = fg_msg_encode (routing_id, env);
    int rc = zmsg_send (&msg, sock);
    if (rc)
        zmsg_destroy (&msg);
    return rc;
}

static fg_env_t *
s_refuse (fg_error_t reason, fg_error_t *err_p)
{
    __atomic_add_fetch (&s_refused [reason], 1, __ATOMIC_RELAXED);
    if (err_p)
        *err_p = reason;
    return NULL;
}

//  Reads the seq field (field 2, varint) of an envelope we could not or
//  would not decode, so the refusal can name the request it answers.
static uint64_t
s_peek_seq (const byte *data, size_t size)
{
    size_t pos = 0;
    while (pos < size) {
        uint64_t key = 0;
        int shift = 0;
        while (pos < size && shift < 64) {
            key |= (uint64_t) (data [pos] & 0x7f) << shift;
            shift += 7;
            if (!(data [pos++] & 0x80))
                break;
        }
        uint64_t field = key >> 3, wire = key & 7;
        if (wire != 0)
            return 0;           //  seq and version come first, both varints
        uint64_t value = 0;
        shift = 0;
        while (pos < size && shift < 64) {
            value |= (uint64_t) (data [pos] & 0x7f) << shift;
            shift += 7;
            if (!(data [pos++] & 0x80))
                break;
        }
        if (field == 2)
            return value;
        if (field != 1)
            return 0;
    }
    return 0;
}

static fg_env_t *s_decode (const byte *data, size_t size, int64_t limit, fg_error_t *err_p,
                           uint64_t *seq_p);

fg_env_t *
fg_msg_recv (zsock_t *sock, zframe_t **routing_id_p, fg_error_t *err_p, uint64_t *seq_p)
{
    return fg_msg_recv_from (sock, routing_id_p, NULL, err_p, seq_p);
}

//  The descriptor of the last message received on this thread
static _Thread_local int s_last_fd = -1;

int
fg_msg_last_fd (void)
{
    return s_last_fd;
}

fg_env_t *
fg_msg_recv_from (zsock_t *sock, zframe_t **routing_id_p, char *peer_key,
                  fg_error_t *err_p, uint64_t *seq_p)
{
    if (peer_key)
        *peer_key = 0;
    if (err_p)
        *err_p = FG_OK;
    if (seq_p)
        *seq_p = 0;
    if (routing_id_p)
        *routing_id_p = NULL;

    zmsg_t *msg = zmsg_recv (sock);
    if (!msg) {
        if (err_p)
            *err_p = FG_E_INTERNAL;
        return NULL;
    }
    if (routing_id_p)
        *routing_id_p = zmsg_pop (msg);

    s_last_fd = -1;
    if (zmsg_size (msg) != 1) {
        zmsg_destroy (&msg);
        return s_refuse (FG_E_MALFORMED, err_p);
    }
    zframe_t *frame = zmsg_first (msg);
    //  (on the body: the routing frame has it only when no poll looked first)
    const char *fd = zframe_meta (frame, "__fd");
    s_last_fd = fd && *fd? atoi (fd): -1;
    if (peer_key) {
        const char *user = zframe_meta (frame, "User-Id");
        snprintf (peer_key, 41, "%s", user? user: "");
    }
    fg_env_t *env = s_decode (zframe_data (frame), zframe_size (frame), fg_msg_limit_of (sock),
                              err_p, seq_p);
    zmsg_destroy (&msg);
    return env;
}

//  True when no message in the tree holds an unknown field number 0.
static bool
s_sound (const ProtobufCMessage *msg)
{
    for (unsigned index = 0; index < msg->n_unknown_fields; index++)
        if (msg->unknown_fields [index].tag == 0)
            return false;
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    const char *base = (const char *) msg;
    for (unsigned index = 0; index < desc->n_fields; index++) {
        const ProtobufCFieldDescriptor *field = &desc->fields [index];
        if (field->type != PROTOBUF_C_TYPE_MESSAGE)
            continue;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t count = *(const size_t *) (base + field->quantifier_offset);
            ProtobufCMessage *const *items = *(ProtobufCMessage *const *const *) (base + field->offset);
            for (size_t item = 0; item < count; item++)
                if (items [item] && !s_sound (items [item]))
                    return false;
        }
        else {
            //  A oneof's members share one place: only the chosen one is there
            if ((field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
            &&  *(const uint32_t *) (base + field->quantifier_offset) != field->id)
                continue;
            const ProtobufCMessage *sub = *(const ProtobufCMessage *const *) (base + field->offset);
            if (sub && !s_sound (sub))
                return false;
        }
    }
    return true;
}

fg_env_t *
fg_msg_decode (const byte *data, size_t size, fg_error_t *err_p, uint64_t *seq_p)
{
    return s_decode (data, size, FG_MSG_MAX_DEFAULT, err_p, seq_p);
}

static fg_env_t *
s_decode (const byte *data, size_t size, int64_t limit, fg_error_t *err_p, uint64_t *seq_p)
{
    if (err_p)
        *err_p = FG_OK;
    if (seq_p)
        *seq_p = s_peek_seq (data, size);
    if ((int64_t) size > limit)
        return s_refuse (FG_E_TOO_BIG, err_p);
    fg_env_t *env = fogrid__envelope__unpack (NULL, size, data);
    if (!env)
        return s_refuse (FG_E_MALFORMED, err_p);
    if (seq_p)
        *seq_p = env->seq;
    //  Every sender sets the version; one without it (0, the field's
    //  absence) speaks no version we know, and is told so as the proto
    //  promises, as is one that speaks another
    if (env->version != FG_PROTO_VERSION) {
        fogrid__envelope__free_unpacked (env, NULL);
        return s_refuse (FG_E_VERSION, err_p);
    }
    if (env->body_case == FOGRID__ENVELOPE__BODY__NOT_SET || !s_sound (&env->base)) {
        fogrid__envelope__free_unpacked (env, NULL);
        return s_refuse (FG_E_MALFORMED, err_p);
    }
    return env;
}

void
fg_msg_free (fg_env_t **env_p)
{
    if (*env_p) {
        fogrid__envelope__free_unpacked (*env_p, NULL);
        *env_p = NULL;
    }
}

zmsg_t *
fg_msg_encode_error (zframe_t *routing_id, uint64_t seq, fg_error_t code, const char *text)
{
    Fogrid__Error error = FOGRID__ERROR__INIT;
    error.code = code;
    error.text = (char *) text;
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_ERROR;
    env.error = &error;
    return fg_msg_encode (routing_id, &env);
}

int
fg_msg_send_error (zsock_t *sock, zframe_t *routing_id, uint64_t seq,
                   fg_error_t code, const char *format, ...)
{
    char text [512];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    zmsg_t *msg = fg_msg_encode_error (routing_id, seq, code, text);
    int rc = zmsg_send (&msg, sock);
    if (rc)
        zmsg_destroy (&msg);
    return rc;
}

int
fg_msg_send_ok (zsock_t *sock, zframe_t *routing_id, uint64_t seq, const char *text)
{
    Fogrid__Ok ok = FOGRID__OK__INIT;
    ok.text = (char *) (text? text: "");
    fg_env_t env = FOGRID__ENVELOPE__INIT;
    env.seq = seq;
    env.body_case = FOGRID__ENVELOPE__BODY_OK;
    env.ok = &ok;
    return fg_msg_send (sock, routing_id, &env);
}

const char *
fg_msg_body_name (const fg_env_t *env)
{
    const ProtobufCFieldDescriptor *field =
        protobuf_c_message_descriptor_get_field (&fogrid__envelope__descriptor,
                                                 (unsigned) env->body_case);
    return field? field->name: "none";
}

uint64_t
fg_msg_refused (fg_error_t reason)
{
    if (reason < 0 || reason >= FG_E_LAST)
        return 0;
    return __atomic_load_n (&s_refused [reason], __ATOMIC_RELAXED);
}

fg_env_t *
fg_msg_recv_request (zsock_t *router, zframe_t **peer_p, char *key, uint64_t *seq_p,
                     const char *who)
{
    fg_error_t error;
    *peer_p = NULL;
    key [0] = 0;
    fg_env_t *env = fg_msg_recv_from (router, peer_p, key, &error, seq_p);
    if (!env) {
        if (*peer_p) {
            zsys_warning ("%s: refused a message: %s", who, fg_strerror (error));
            fg_msg_send_error (router, *peer_p, *seq_p, error, "%s", fg_strerror (error));
        }
        zframe_destroy (peer_p);
    }
    return env;
}
