/*  =========================================================================
    fuzz_msg - libFuzzer target for the envelope decoder

    Every byte a daemon receives passes fg_msg_decode first: it must refuse
    with one of its three reasons or accept, and whatever it accepts must
    re-encode and decode to the same kind of message.
    =========================================================================  */
#include "fogrid.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fg_error_t error;
    uint64_t seq;
    fg_env_t *env = fg_msg_decode (data, size, &error, &seq);
    if (!env) {
        if (error != FG_E_MALFORMED && error != FG_E_VERSION && error != FG_E_TOO_BIG)
            __builtin_trap ();
        return 0;
    }
    (void) fg_msg_body_name (env);
    size_t packed = fogrid__envelope__get_packed_size (env);
    uint8_t *buffer = (uint8_t *) malloc (packed + 1);
    fogrid__envelope__pack (env, buffer);
    fg_env_t *again = fg_msg_decode (buffer, packed, &error, &seq);
    //  The daemons copy what they keep by packing it: what the decoder
    //  takes must survive that (protobuf-c reads a field number 0 written
    //  in two bytes but writes it in the form it refuses: fg_msg_decode
    //  refuses such a message)
    if (!again || again->body_case != env->body_case || again->seq != env->seq)
        __builtin_trap ();
    fg_msg_free (&again);
    fg_msg_free (&env);
    free (buffer);
    return 0;
}
