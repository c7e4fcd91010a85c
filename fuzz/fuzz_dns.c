/*  =========================================================================
    fuzz_dns - libFuzzer target for the locator's DNS codec

    Any datagram from anyone reaches loc_dns_answer. It must answer within
    the size it was given (512 or 1232 over UDP, 64K over TCP, and odd small
    buffers), echo the id, never answer a response, and whatever it writes
    must be a DNS message a client can walk: every count matched by a
    record, every pointer going backwards, every rdlength inside the reply.
    =========================================================================  */
#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "../locator/loc_dns.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const char *s_functions [] = { "upper", NULL, "", "lower,reverse" };
static const loc_dns_target_t s_targets [] = {
    { "10.0.0.5", 5555, 10, 0 }, { "10.0.0.5", 5556, 10, 0 }, { "10.0.0.5", 5555, 10, 0 },
    { "hub.example.com", 7000, 5, 1 }, { "HUB.example.com.", 7000, 5, 1 }, { "::1", 1, 1, 0 },
    { "*", 2, 1, 0 }, { NULL, 3, 1, 0 }, { "1.2.3.4444", 4, 1, 0 }, { "a..b", 5, 1, 0 },
    { "010.000.000.001", 6, 1, 0 }, { "255.255.255.255", 65535, 65535, 65535 },
};
static loc_dns_target_t s_big [200];
static char s_hosts [200][20];
static const char *s_many [300];
static char s_names [300][24];

static bool
s_lookup (void *arg, const char *name, loc_dns_service_t *service)
{
    (void) arg;
    if (strcmp (name, "echo") == 0) {
        service->protocol_version = 4294967295u;
        service->functions = s_functions;
        service->n_functions = 4;
        service->targets = s_targets;
        service->n_targets = sizeof s_targets / sizeof s_targets [0];
        return true;
    }
    if (strcmp (name, "big") == 0) {
        service->protocol_version = 1;
        service->functions = s_many;
        service->n_functions = 300;
        service->targets = s_big;
        service->n_targets = 200;
        return true;
    }
    if (strcmp (name, "empty") == 0) {
        service->n_functions = 5;       //  but no array: must be ignored
        service->n_targets = 5;
        return true;
    }
    return false;
}

//  Steps over a name in the reply; pointers must go backwards, so a
//  client following them can never loop
static bool
s_walk_name (const uint8_t *msg, size_t size, size_t *offset)
{
    size_t pos = *offset;
    while (true) {
        if (pos >= size)
            return false;
        uint8_t label = msg [pos];
        if ((label & 0xC0) == 0xC0) {
            if (pos + 2 > size || ((size_t) (label & 0x3F) << 8 | msg [pos + 1]) >= pos)
                return false;
            *offset = pos + 2;
            return true;
        }
        if (label > 63 || pos + 1 + label > size)
            return false;
        pos += 1 + label;
        if (label == 0)
            break;
    }
    *offset = pos;
    return true;
}

static bool
s_valid_reply (const uint8_t *msg, size_t size)
{
    if (size < 12 || !(msg [2] & 0x80))
        return false;
    size_t counts [4];
    for (int index = 0; index < 4; index++)
        counts [index] = (size_t) msg [4 + 2 * index] << 8 | msg [5 + 2 * index];
    if (counts [0] > 1)
        return false;
    size_t offset = 12;
    if (counts [0] && (!s_walk_name (msg, size, &offset) || (offset += 4) > size))
        return false;
    for (size_t index = 0; index < counts [1] + counts [2] + counts [3]; index++) {
        if (!s_walk_name (msg, size, &offset) || offset + 10 > size)
            return false;
        size_t rdlength = (size_t) msg [offset + 8] << 8 | msg [offset + 9];
        offset += 10 + rdlength;
        if (offset > size)
            return false;
    }
    return offset == size;
}

static void
s_check (const loc_dns_config_t *config, const uint8_t *data, size_t size,
         size_t reply_max, bool tcp)
{
    static uint8_t reply [LOC_DNS_TCP_MAX];
    size_t len = loc_dns_answer (config, data, size, reply, reply_max, tcp, s_lookup, NULL);
    if (len > reply_max || (!tcp && len > LOC_DNS_UDP_MAX))
        __builtin_trap ();
    if (len == 0) {
        //  only nothing to answer, or nowhere to answer it, is dropped
        if (size >= 2 && (size == 2 || !(data [2] & 0x80)) && reply_max >= 12)
            __builtin_trap ();
        return;
    }
    if (!s_valid_reply (reply, len) || memcmp (reply, data, 2) != 0)
        __builtin_trap ();
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static bool ready = false;
    if (!ready) {
        for (int index = 0; index < 200; index++) {
            snprintf (s_hosts [index], sizeof s_hosts [index], "10.%d.%d.%d",
                      index % 3, index / 3, index);
            s_big [index] = (loc_dns_target_t) { s_hosts [index], (uint16_t) index, 1, 0 };
        }
        for (int index = 0; index < 300; index++) {
            snprintf (s_names [index], sizeof s_names [index], "function-%03d", index);
            s_many [index] = s_names [index];
        }
        ready = true;
    }
    static const loc_dns_config_t fogrid = { "fogrid.", 30 };
    static const loc_dns_config_t deep = { "Grid.Example.ORG", 4294967295u };
    s_check (&fogrid, data, size, LOC_DNS_UDP_MAX, false);
    s_check (&fogrid, data, size, LOC_DNS_TCP_MAX, true);
    s_check (&deep, data, size, LOC_DNS_UDP_MAX, false);
    //  odd buffer sizes, chosen by the input's last byte
    if (size > 0)
        s_check (&fogrid, data, size, 10 + data [size - 1], size % 2);
    return 0;
}
