/*  =========================================================================
    fg_outbox - messages held until the writes they speak of are durable

    DESIGN
    Each message is encoded when it is held (the caller's envelope lives
    on its stack), with what fg_outbox_fail needs to answer in its place:
    the peer's routing id and the request's seq. A zlistx keeps the order,
    so a peer hears its answers in the order it asked.
    =========================================================================  */
#include "fogrid.h"

typedef enum { S_ANSWER, S_REFUSAL, S_NOTICE } s_kind_t;

typedef struct {
    s_kind_t kind;
    zsock_t *sock;              //  not owned
    zframe_t *routing;          //  the peer's id, or NULL (owned)
    uint64_t seq;               //  the request's, for an Error in its place
    zmsg_t *msg;                //  encoded, routing frame included (owned)
} s_held_t;

struct _fg_outbox_t {
    zlistx_t *held;             //  s_held_t, in order
};

static void
s_held_destroy (void **item)
{
    s_held_t *held = (s_held_t *) *item;
    zframe_destroy (&held->routing);
    zmsg_destroy (&held->msg);
    free (held);
    *item = NULL;
}

fg_outbox_t *
fg_outbox_new (void)
{
    fg_outbox_t *self = (fg_outbox_t *) zmalloc (sizeof (fg_outbox_t));
    self->held = zlistx_new ();
    zlistx_set_destructor (self->held, s_held_destroy);
    return self;
}

void
fg_outbox_destroy (fg_outbox_t **self_p)
{
    if (*self_p) {
        zlistx_destroy (&(*self_p)->held);
        free (*self_p);
        *self_p = NULL;
    }
}

static void
s_hold (fg_outbox_t *self, s_kind_t kind, zsock_t *sock, zframe_t *routing, uint64_t seq,
        zmsg_t *msg)
{
    s_held_t *held = (s_held_t *) zmalloc (sizeof (s_held_t));
    held->kind = kind;
    held->sock = sock;
    held->routing = routing? zframe_dup (routing): NULL;
    held->seq = seq;
    held->msg = msg;
    zlistx_add_end (self->held, held);
}

void
fg_outbox_answer (fg_outbox_t *self, zsock_t *sock, zframe_t *routing, fg_env_t *env)
{
    s_hold (self, env->body_case == FOGRID__ENVELOPE__BODY_ERROR? S_REFUSAL: S_ANSWER,
            sock, routing, env->seq, fg_msg_encode (routing, env));
}

void
fg_outbox_refuse (fg_outbox_t *self, zsock_t *sock, zframe_t *routing, uint64_t seq,
                  fg_error_t code, const char *format, ...)
{
    char text [512];
    va_list args;
    va_start (args, format);
    vsnprintf (text, sizeof text, format, args);
    va_end (args);
    s_hold (self, S_REFUSAL, sock, routing, seq, fg_msg_encode_error (routing, seq, code, text));
}

void
fg_outbox_notice (fg_outbox_t *self, zsock_t *sock, zframe_t *routing, fg_env_t *env)
{
    s_hold (self, S_NOTICE, sock, routing, env->seq, fg_msg_encode (routing, env));
}

size_t
fg_outbox_size (fg_outbox_t *self)
{
    return zlistx_size (self->held);
}

size_t
fg_outbox_send (fg_outbox_t *self, fg_outbox_refused_fn *refused, void *arg)
{
    size_t failures = 0;
    for (s_held_t *held = (s_held_t *) zlistx_first (self->held); held;
         held = (s_held_t *) zlistx_next (self->held))
        if (zmsg_send (&held->msg, held->sock)) {
            failures++;
            if (refused)
                refused (arg, held->sock, held->routing);
        }
    zlistx_purge (self->held);
    return failures;
}

void
fg_outbox_fail (fg_outbox_t *self, fg_error_t code, const char *text)
{
    for (s_held_t *held = (s_held_t *) zlistx_first (self->held); held;
         held = (s_held_t *) zlistx_next (self->held)) {
        if (held->kind == S_NOTICE)
            continue;
        if (held->kind == S_ANSWER) {
            zmsg_destroy (&held->msg);
            held->msg = fg_msg_encode_error (held->routing, held->seq, code, text);
        }
        zmsg_send (&held->msg, held->sock);
    }
    zlistx_purge (self->held);
}
