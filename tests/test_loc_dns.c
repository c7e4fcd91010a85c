/*  test_loc_dns - the DNS view: queries built byte by byte, replies decoded
    here independently of the codec, for every answer a client can get */
#include "test_support.h"
#include "loc_dns.h"

#define T_A         1
#define T_NS        2
#define T_SOA       6
#define T_TXT       16
#define T_AAAA      28
#define T_SRV       33
#define T_OPT       41
#define T_AXFR      252
#define T_ANY       255

//  ---------------------------------------------------------------------
//  The registry the codec asks: a few services, and the last name asked

static const char *s_echo_functions [] = { "upper", "lower", "reverse" };
static const loc_dns_target_t s_echo_targets [] = {
    { "10.0.0.5", 5555, 10, 0 },
    { "10.0.0.6", 5556, 20, 0 },
    { "10.0.0.5", 5557, 10, 0 },        //  same host, another port: one A
    { "hub.example.com", 7000, 5, 1 },  //  a name: SRV only, no A
    { "::1", 7001, 1, 0 },              //  cannot be named: left out
    { "10.0.0.6", 5556, 20, 0 },        //  a duplicate: one SRV
};
static const loc_dns_target_t s_odd_targets [] = {
    { "*", 1, 1, 0 }, { "::1", 2, 1, 0 }, { "1.2.3.999", 3, 1, 0 }, { NULL, 4, 1, 0 },
};
static loc_dns_target_t s_big_targets [40];
static char s_big_hosts [40][16];
static const char *s_many_functions [100];
static char s_many_names [100][16];
static char s_last_lookup [64];
static int s_lookups;

static bool
s_lookup (void *arg, const char *name, loc_dns_service_t *service)
{
    (void) arg;
    snprintf (s_last_lookup, sizeof s_last_lookup, "%s", name);
    s_lookups++;
    memset (service, 0, sizeof *service);
    if (streq (name, "echo")) {
        service->protocol_version = 3;
        service->functions = s_echo_functions;
        service->n_functions = 3;
        service->targets = s_echo_targets;
        service->n_targets = sizeof s_echo_targets / sizeof s_echo_targets [0];
        return true;
    }
    if (streq (name, "odd")) {
        service->protocol_version = 1;
        service->targets = s_odd_targets;
        service->n_targets = sizeof s_odd_targets / sizeof s_odd_targets [0];
        return true;
    }
    if (streq (name, "big") || streq (name, "ten")) {
        for (int index = 0; index < 40; index++) {
            snprintf (s_big_hosts [index], sizeof s_big_hosts [index], "10.1.0.%d", index + 1);
            s_big_targets [index] = (loc_dns_target_t) { s_big_hosts [index], 6000, 1, 0 };
        }
        for (int index = 0; index < 100; index++) {
            snprintf (s_many_names [index], sizeof s_many_names [index], "function%02d", index);
            s_many_functions [index] = s_many_names [index];
        }
        service->protocol_version = 2;
        service->functions = s_many_functions;
        service->n_functions = 100;
        service->targets = s_big_targets;
        service->n_targets = streq (name, "big")? 40: 10;
        return true;
    }
    return false;
}

static const loc_dns_config_t s_config = { "fogrid.", 30 };

//  ---------------------------------------------------------------------
//  Queries, by hand

//  Appends a name in wire form ("a.b.c" or "a.b.c.")
static size_t
s_put_name (uint8_t *buf, const char *name)
{
    size_t len = 0;
    while (*name) {
        const char *dot = strchr (name, '.');
        size_t label = dot? (size_t) (dot - name): strlen (name);
        if (label == 0)
            break;              //  "." is the root
        buf [len++] = (uint8_t) label;
        memcpy (buf + len, name, label);
        len += label;
        name += dot? label + 1: label;
    }
    buf [len++] = 0;
    return len;
}

//  A QUERY for name/type, class IN, RD set; with an OPT record advertising
//  edns_size when that is not 0
static size_t
s_query (uint8_t *buf, uint16_t id, const char *name, uint16_t type, uint16_t edns_size)
{
    uint8_t header [12] = { id >> 8, id & 0xFF, 0x01, 0, 0, 1, 0, 0, 0, 0, 0, edns_size? 1: 0 };
    memcpy (buf, header, 12);
    size_t len = 12 + s_put_name (buf + 12, name);
    uint8_t tail [4] = { type >> 8, type & 0xFF, 0, 1 };
    memcpy (buf + len, tail, 4);
    len += 4;
    if (edns_size) {
        uint8_t opt [11] = { 0, 0, T_OPT, edns_size >> 8, edns_size & 0xFF, 0, 0, 0, 0, 0, 0 };
        memcpy (buf + len, opt, 11);
        len += 11;
    }
    return len;
}

//  ---------------------------------------------------------------------
//  Replies, decoded as a client would (pointers followed, with a limit)

typedef struct {
    char name [256];
    uint16_t type;
    uint16_t klass;
    uint32_t ttl;
    uint8_t addr [4];                   //  A
    uint16_t priority, weight, port;    //  SRV
    char target [256];                  //  SRV
    char text [2048];                   //  TXT, its strings concatenated
    size_t n_strings;                   //  TXT
    size_t longest;                     //  TXT: the longest string
    char mname [256], rname [256];      //  SOA
    uint32_t minimum;                   //  SOA
} s_rr_t;

typedef struct {
    bool ok;                    //  decoded to the last byte
    uint16_t id;
    bool qr, aa, tc, rd;
    int opcode, rcode;
    uint16_t counts [4];        //  question, answer, authority, additional
    char qname [256];
    uint16_t qtype;
    s_rr_t rr [128];            //  answer, then authority, then additional
    size_t n_rr;
} s_reply_t;

static bool
s_get_name (const uint8_t *msg, size_t size, size_t *offset, char *out)
{
    size_t pos = *offset;
    size_t len = 0;
    bool jumped = false;
    int hops = 0;
    out [0] = 0;
    while (true) {
        if (pos >= size)
            return false;
        uint8_t label = msg [pos];
        if ((label & 0xC0) == 0xC0) {
            if (pos + 1 >= size || ++hops > 64)
                return false;
            if (!jumped)
                *offset = pos + 2;
            jumped = true;
            pos = (size_t) (label & 0x3F) << 8 | msg [pos + 1];
            continue;
        }
        if (label == 0)
            break;
        if (label > 63 || pos + 1 + label > size || len + label + 2 > 256)
            return false;
        memcpy (out + len, msg + pos + 1, label);
        len += label;
        out [len++] = '.';
        out [len] = 0;
        pos += 1 + label;
    }
    if (len == 0)
        strcpy (out, ".");
    if (!jumped)
        *offset = pos + 1;
    return true;
}

static uint16_t
s_u16 (const uint8_t *p)
{
    return (uint16_t) (p [0] << 8 | p [1]);
}

static uint32_t
s_u32 (const uint8_t *p)
{
    return (uint32_t) p [0] << 24 | (uint32_t) p [1] << 16 | (uint32_t) p [2] << 8 | p [3];
}

static bool
s_decode_rr (const uint8_t *msg, size_t size, size_t *offset, s_rr_t *rr)
{
    memset (rr, 0, sizeof *rr);
    if (!s_get_name (msg, size, offset, rr->name) || *offset + 10 > size)
        return false;
    const uint8_t *p = msg + *offset;
    rr->type = s_u16 (p);
    rr->klass = s_u16 (p + 2);
    rr->ttl = s_u32 (p + 4);
    size_t rdlength = s_u16 (p + 8);
    size_t start = *offset + 10;
    size_t end = start + rdlength;
    if (end > size)
        return false;
    size_t pos = start;
    if (rr->type == T_A) {
        if (rdlength != 4)
            return false;
        memcpy (rr->addr, msg + start, 4);
    }
    else
    if (rr->type == T_SRV) {
        if (rdlength < 7)
            return false;
        rr->priority = s_u16 (msg + start);
        rr->weight = s_u16 (msg + start + 2);
        rr->port = s_u16 (msg + start + 4);
        pos = start + 6;
        //  RFC 2782: the target is not compressed
        if ((msg [pos] & 0xC0) == 0xC0 || !s_get_name (msg, end, &pos, rr->target) || pos != end)
            return false;
    }
    else
    if (rr->type == T_TXT) {
        size_t len = 0;
        while (pos < end) {
            size_t string = msg [pos++];
            if (pos + string > end || len + string >= sizeof rr->text)
                return false;
            memcpy (rr->text + len, msg + pos, string);
            len += string;
            pos += string;
            rr->n_strings++;
            if (string > rr->longest)
                rr->longest = string;
        }
        rr->text [len] = 0;
    }
    else
    if (rr->type == T_SOA) {
        if (!s_get_name (msg, end, &pos, rr->mname) || !s_get_name (msg, end, &pos, rr->rname)
        ||  pos + 20 != end)
            return false;
        rr->minimum = s_u32 (msg + pos + 16);
    }
    *offset = end;
    return true;
}

static void
s_decode (const uint8_t *msg, size_t size, s_reply_t *reply)
{
    memset (reply, 0, sizeof *reply);
    if (size < 12)
        return;
    reply->id = s_u16 (msg);
    reply->qr = (msg [2] & 0x80) != 0;
    reply->opcode = (msg [2] >> 3) & 0x0F;
    reply->aa = (msg [2] & 0x04) != 0;
    reply->tc = (msg [2] & 0x02) != 0;
    reply->rd = (msg [2] & 0x01) != 0;
    reply->rcode = msg [3] & 0x0F;
    for (int index = 0; index < 4; index++)
        reply->counts [index] = s_u16 (msg + 4 + 2 * index);
    size_t offset = 12;
    if (reply->counts [0] == 1) {
        if (!s_get_name (msg, size, &offset, reply->qname) || offset + 4 > size)
            return;
        reply->qtype = s_u16 (msg + offset);
        offset += 4;
    }
    size_t total = (size_t) reply->counts [1] + reply->counts [2] + reply->counts [3];
    if (total > 128)
        return;
    for (reply->n_rr = 0; reply->n_rr < total; reply->n_rr++)
        if (!s_decode_rr (msg, size, &offset, &reply->rr [reply->n_rr]))
            return;
    reply->ok = offset == size && reply->counts [0] <= 1;
}

//  Sends a query through the codec and decodes the reply
static size_t
s_ask (const uint8_t *query, size_t size, bool tcp, size_t reply_max, s_reply_t *reply)
{
    static uint8_t buffer [65535];
    size_t len = loc_dns_answer (&s_config, query, size, buffer, reply_max, tcp, s_lookup, NULL);
    CU_ASSERT_TRUE (len <= reply_max);
    s_decode (buffer, len, reply);
    return len;
}

//  Asks for name/type over UDP without EDNS, as a plain client would
static void
s_ask_name (const char *name, uint16_t type, s_reply_t *reply)
{
    uint8_t query [512];
    size_t size = s_query (query, 0x1234, name, type, 0);
    s_ask (query, size, false, LOC_DNS_UDP_MAX, reply);
    CU_ASSERT_TRUE (reply->ok);
    CU_ASSERT_EQUAL (reply->id, 0x1234);
    CU_ASSERT_TRUE (reply->qr);
    CU_ASSERT_TRUE (reply->rd);
}

//  The records of one type in one section (0 answer, 1 authority, 2 additional)
static size_t
s_count (const s_reply_t *reply, int section, uint16_t type)
{
    size_t first = section == 0? 0: section == 1? reply->counts [1]: (size_t) reply->counts [1] + reply->counts [2];
    size_t count = reply->counts [1 + section];
    size_t found = 0;
    for (size_t index = first; index < first + count && index < reply->n_rr; index++)
        found += reply->rr [index].type == type;
    return found;
}

static const s_rr_t *
s_find_srv (const s_reply_t *reply, uint16_t port)
{
    for (size_t index = 0; index < reply->counts [1]; index++)
        if (reply->rr [index].type == T_SRV && reply->rr [index].port == port)
            return &reply->rr [index];
    return NULL;
}

//  The negative answer shape: no answers, the SOA in authority
static void
s_assert_negative (const s_reply_t *reply, int rcode)
{
    CU_ASSERT_EQUAL (reply->rcode, rcode);
    CU_ASSERT_TRUE (reply->aa);
    CU_ASSERT_EQUAL (reply->counts [1], 0);
    CU_ASSERT_EQUAL (reply->counts [2], 1);
    CU_ASSERT_EQUAL (s_count (reply, 1, T_SOA), 1);
    if (reply->n_rr >= 1) {
        //  compression may point at the question, in the client's spelling
        CU_ASSERT_EQUAL (strcasecmp (reply->rr [0].name, "fogrid."), 0);
        CU_ASSERT_EQUAL (reply->rr [0].minimum, 30);
        CU_ASSERT_EQUAL (reply->rr [0].ttl, 30);
        CU_ASSERT_EQUAL (strcasecmp (reply->rr [0].rname, "hostmaster.fogrid."), 0);
    }
}

//  ---------------------------------------------------------------------
//  The tests

static void
test_srv (void)
{
    s_reply_t reply;
    s_ask_name ("echo.service.fogrid.", T_SRV, &reply);
    CU_ASSERT_EQUAL (reply.rcode, 0);
    CU_ASSERT_TRUE (reply.aa);
    CU_ASSERT_FALSE (reply.tc);
    CU_ASSERT_STRING_EQUAL (reply.qname, "echo.service.fogrid.");
    CU_ASSERT_EQUAL (reply.qtype, T_SRV);
    //  six targets: one cannot be named, one is a duplicate
    CU_ASSERT_EQUAL (reply.counts [1], 4);
    CU_ASSERT_EQUAL (s_count (&reply, 0, T_SRV), 4);
    const s_rr_t *srv = s_find_srv (&reply, 5555);
    CU_ASSERT_PTR_NOT_NULL_FATAL (srv);
    CU_ASSERT_STRING_EQUAL (srv->name, "echo.service.fogrid.");
    CU_ASSERT_STRING_EQUAL (srv->target, "10-0-0-5.addr.fogrid.");
    CU_ASSERT_EQUAL (srv->weight, 10);
    CU_ASSERT_EQUAL (srv->priority, 0);
    CU_ASSERT_EQUAL (srv->ttl, 30);
    CU_ASSERT_EQUAL (srv->klass, 1);
    srv = s_find_srv (&reply, 5556);
    CU_ASSERT_PTR_NOT_NULL_FATAL (srv);
    CU_ASSERT_STRING_EQUAL (srv->target, "10-0-0-6.addr.fogrid.");
    CU_ASSERT_EQUAL (srv->weight, 20);
    srv = s_find_srv (&reply, 7000);
    CU_ASSERT_PTR_NOT_NULL_FATAL (srv);
    CU_ASSERT_STRING_EQUAL (srv->target, "hub.example.com.");
    CU_ASSERT_EQUAL (srv->priority, 1);
    CU_ASSERT_PTR_NOT_NULL (s_find_srv (&reply, 5557));
    CU_ASSERT_PTR_NULL (s_find_srv (&reply, 7001));

    //  the addresses of the synthesized targets come along
    CU_ASSERT_EQUAL (reply.counts [2], 0);
    CU_ASSERT_EQUAL (reply.counts [3], 2);
    CU_ASSERT_EQUAL (s_count (&reply, 2, T_A), 2);
    const s_rr_t *glue = &reply.rr [4];
    CU_ASSERT_STRING_EQUAL (glue->name, "10-0-0-5.addr.fogrid.");
    CU_ASSERT_EQUAL (memcmp (glue->addr, "\x0a\x00\x00\x05", 4), 0);
    CU_ASSERT_STRING_EQUAL (reply.rr [5].name, "10-0-0-6.addr.fogrid.");
    CU_ASSERT_EQUAL (memcmp (reply.rr [5].addr, "\x0a\x00\x00\x06", 4), 0);
    CU_ASSERT_STRING_EQUAL (s_last_lookup, "echo");
}

//  RFC 2782's spelling of a service's name: the same SRV (with glue)
//  and TXT as NAME.service, no A; _tcp.service exists
static void
test_srv_form (void)
{
    s_reply_t reply;
    s_ask_name ("_echo._tcp.service.fogrid.", T_SRV, &reply);
    CU_ASSERT_EQUAL (reply.rcode, 0);
    CU_ASSERT_TRUE (reply.aa);
    CU_ASSERT_STRING_EQUAL (reply.qname, "_echo._tcp.service.fogrid.");
    CU_ASSERT_EQUAL (s_count (&reply, 0, T_SRV), 4);
    const s_rr_t *srv = s_find_srv (&reply, 5555);
    CU_ASSERT_PTR_NOT_NULL_FATAL (srv);
    CU_ASSERT_STRING_EQUAL (srv->name, "_echo._tcp.service.fogrid.");
    CU_ASSERT_STRING_EQUAL (srv->target, "10-0-0-5.addr.fogrid.");
    CU_ASSERT_EQUAL (srv->weight, 10);
    CU_ASSERT_EQUAL (s_count (&reply, 2, T_A), 2);
    CU_ASSERT_STRING_EQUAL (s_last_lookup, "echo");

    s_ask_name ("_echo._tcp.service.fogrid.", T_TXT, &reply);
    CU_ASSERT_EQUAL (reply.rcode, 0);
    CU_ASSERT_EQUAL (s_count (&reply, 0, T_TXT), 2);
    s_ask_name ("_echo._tcp.service.fogrid.", T_ANY, &reply);
    CU_ASSERT_EQUAL (s_count (&reply, 0, T_SRV), 4);
    CU_ASSERT_EQUAL (s_count (&reply, 0, T_TXT), 2);
    CU_ASSERT_EQUAL (s_count (&reply, 0, T_A), 0);
    //  an address is a host's, not the service name's
    s_ask_name ("_echo._tcp.service.fogrid.", T_A, &reply);
    s_assert_negative (&reply, 0);
    //  names exist below _tcp.service
    s_ask_name ("_tcp.service.fogrid.", T_SRV, &reply);
    s_assert_negative (&reply, 0);
    //  unknown services, other protocols and spellings do not exist
    s_ask_name ("_nope._tcp.service.fogrid.", T_SRV, &reply);
    s_assert_negative (&reply, 3);
    s_ask_name ("_echo._udp.service.fogrid.", T_SRV, &reply);
    s_assert_negative (&reply, 3);
    s_ask_name ("echo._tcp.service.fogrid.", T_SRV, &reply);
    s_assert_negative (&reply, 3);
    s_ask_name ("_._tcp.service.fogrid.", T_SRV, &reply);
    s_assert_negative (&reply, 3);
    s_ask_name ("__echo._tcp.service.fogrid.", T_SRV, &reply);
    s_assert_negative (&reply, 3);
    s_ask_name ("_echo.service.fogrid.", T_SRV, &reply);
    s_assert_negative (&reply, 3);
}

static void
test_compression (void)
{
    uint8_t query [512], reply [LOC_DNS_UDP_MAX];
    size_t size = s_query (query, 7, "echo.service.fogrid", T_SRV, 0);
    size_t len = loc_dns_answer (&s_config, query, size, reply, sizeof reply, false, s_lookup, NULL);
    //  the first answer's owner is a pointer to the question's name
    CU_ASSERT_TRUE_FATAL (len > size + 2);
    CU_ASSERT_EQUAL (reply [size], 0xC0);
    CU_ASSERT_EQUAL (reply [size + 1], 12);
    //  four SRV and two A records in under 250 bytes: names are shared
    CU_ASSERT_TRUE (len < 250);
}

static void
test_a (void)
{
    s_reply_t reply;
    s_ask_name ("echo.service.fogrid", T_A, &reply);
    CU_ASSERT_EQUAL (reply.rcode, 0);
    CU_ASSERT_TRUE (reply.aa);
    //  one per distinct IPv4 host; the host name has none
    CU_ASSERT_EQUAL (reply.counts [1], 2);
    CU_ASSERT_EQUAL (s_count (&reply, 0, T_A), 2);
    CU_ASSERT_STRING_EQUAL (reply.rr [0].name, "echo.service.fogrid.");
    CU_ASSERT_EQUAL (memcmp (reply.rr [0].addr, "\x0a\x00\x00\x05", 4), 0);
    CU_ASSERT_EQUAL (memcmp (reply.rr [1].addr, "\x0a\x00\x00\x06", 4), 0);
    CU_ASSERT_EQUAL (reply.counts [3], 0);

    //  the synthesized target names answer on their own
    s_ask_name ("10-0-0-5.addr.fogrid", T_A, &reply);
    CU_ASSERT_EQUAL (reply.rcode, 0);
    CU_ASSERT_TRUE (reply.aa);
    CU_ASSERT_EQUAL_FATAL (reply.counts [1], 1);
    CU_ASSERT_STRING_EQUAL (reply.rr [0].name, "10-0-0-5.addr.fogrid.");
    CU_ASSERT_EQUAL (memcmp (reply.rr [0].addr, "\x0a\x00\x00\x05", 4), 0);
    s_ask_name ("255-255-255-0.addr.fogrid", T_ANY, &reply);
    CU_ASSERT_EQUAL (reply.counts [1], 1);
    CU_ASSERT_EQUAL (memcmp (reply.rr [0].addr, "\xff\xff\xff\x00", 4), 0);
    s_ask_name ("10-0-0-5.addr.fogrid", T_AAAA, &reply);
    s_assert_negative (&reply, 0);

    //  only the canonical spelling exists
    const char *bad [] = { "010-0-0-5", "10-0-0-256", "10-0-0", "10-0-0-5-1", "10-0-0-", "a-b-c-d",
                           "10--0-0", "1000-0-0-1", NULL };
    for (int index = 0; bad [index]; index++) {
        char name [64];
        snprintf (name, sizeof name, "%s.addr.fogrid", bad [index]);
        s_ask_name (name, T_A, &reply);
        s_assert_negative (&reply, 3);
    }
}

static void
test_txt (void)
{
    s_reply_t reply;
    s_ask_name ("echo.service.fogrid", T_TXT, &reply);
    CU_ASSERT_EQUAL (reply.rcode, 0);
    CU_ASSERT_EQUAL_FATAL (reply.counts [1], 2);
    CU_ASSERT_STRING_EQUAL (reply.rr [0].text, "protocol=3");
    CU_ASSERT_EQUAL (reply.rr [0].n_strings, 1);
    CU_ASSERT_STRING_EQUAL (reply.rr [1].text, "functions=upper,lower,reverse");
    CU_ASSERT_EQUAL (reply.rr [1].n_strings, 1);

    //  a hundred functions: over 255 bytes, split in strings of one record
    uint8_t query [512];
    size_t size = s_query (query, 9, "big.service.fogrid", T_TXT, 0);
    s_ask (query, size, true, LOC_DNS_TCP_MAX, &reply);
    CU_ASSERT_TRUE (reply.ok);
    CU_ASSERT_EQUAL_FATAL (reply.counts [1], 2);
    CU_ASSERT_STRING_EQUAL (reply.rr [0].text, "protocol=2");
    char expected [2048] = "functions=";
    for (int index = 0; index < 100; index++)
        snprintf (expected + strlen (expected), sizeof expected - strlen (expected),
                  "%sfunction%02d", index? ",": "", index);
    CU_ASSERT_STRING_EQUAL (reply.rr [1].text, expected);
    CU_ASSERT_EQUAL (reply.rr [1].n_strings, (strlen (expected) + 254) / 255);
    CU_ASSERT_EQUAL (reply.rr [1].longest, 255);
}

static void
test_any (void)
{
    s_reply_t reply;
    s_ask_name ("echo.service.fogrid", T_ANY, &reply);
    CU_ASSERT_EQUAL (reply.rcode, 0);
    CU_ASSERT_TRUE (reply.aa);
    CU_ASSERT_EQUAL (reply.counts [1], 8);
    CU_ASSERT_EQUAL (s_count (&reply, 0, T_SRV), 4);
    CU_ASSERT_EQUAL (s_count (&reply, 0, T_A), 2);
    CU_ASSERT_EQUAL (s_count (&reply, 0, T_TXT), 2);
    CU_ASSERT_EQUAL (s_count (&reply, 2, T_A), 2);
}

static void
test_nodata (void)
{
    s_reply_t reply;
    s_ask_name ("echo.service.fogrid", T_AAAA, &reply);
    s_assert_negative (&reply, 0);
    s_ask_name ("echo.service.fogrid", T_NS, &reply);
    s_assert_negative (&reply, 0);
    //  a service whose hosts cannot be named has no SRV and no A
    s_ask_name ("odd.service.fogrid", T_SRV, &reply);
    s_assert_negative (&reply, 0);
    s_ask_name ("odd.service.fogrid", T_A, &reply);
    s_assert_negative (&reply, 0);
    //  names exist below these two, so they are not NXDOMAIN
    s_ask_name ("service.fogrid", T_A, &reply);
    s_assert_negative (&reply, 0);
    s_ask_name ("addr.fogrid", T_ANY, &reply);
    s_assert_negative (&reply, 0);
    s_ask_name ("fogrid", T_A, &reply);
    s_assert_negative (&reply, 0);

    //  the apex has its SOA
    s_ask_name ("fogrid.", T_SOA, &reply);
    CU_ASSERT_EQUAL (reply.rcode, 0);
    CU_ASSERT_TRUE (reply.aa);
    CU_ASSERT_EQUAL_FATAL (reply.counts [1], 1);
    CU_ASSERT_EQUAL (reply.rr [0].type, T_SOA);
    CU_ASSERT_STRING_EQUAL (reply.rr [0].mname, "fogrid.");
    CU_ASSERT_EQUAL (reply.rr [0].minimum, 30);
}

static void
test_nxdomain (void)
{
    s_reply_t reply;
    s_lookups = 0;
    s_ask_name ("nope.service.fogrid", T_SRV, &reply);
    s_assert_negative (&reply, 3);
    CU_ASSERT_EQUAL (s_lookups, 1);
    s_ask_name ("nope.service.fogrid", T_TXT, &reply);
    s_assert_negative (&reply, 3);
    s_ask_name ("x.echo.service.fogrid", T_SRV, &reply);
    s_assert_negative (&reply, 3);
    s_ask_name ("other.fogrid", T_A, &reply);
    s_assert_negative (&reply, 3);
    s_ask_name ("echo.other.fogrid", T_A, &reply);
    s_assert_negative (&reply, 3);
    //  not a service name: the registry is not even asked
    s_lookups = 0;
    s_ask_name ("ec_ho.service.fogrid", T_SRV, &reply);
    s_assert_negative (&reply, 3);
    uint8_t query [512];
    size_t size = s_query (query, 1, "ecXo.service.fogrid", T_SRV, 0);
    query [12 + 3] = '.';       //  a dot inside a label
    s_ask (query, size, false, 512, &reply);
    s_assert_negative (&reply, 3);
    query [12 + 3] = 0;         //  a NUL inside a label
    s_ask (query, size, false, 512, &reply);
    s_assert_negative (&reply, 3);
    CU_ASSERT_EQUAL (s_lookups, 0);
}

static void
test_refused_notimp (void)
{
    s_reply_t reply;
    const char *outside [] = { "example.com", "echo.service.example.", "fogrid.example",
                               "notfogrid", ".", "echo.service.fogrid2", NULL };
    for (int index = 0; outside [index]; index++) {
        s_ask_name (outside [index], T_A, &reply);
        CU_ASSERT_EQUAL (reply.rcode, 5);
        CU_ASSERT_FALSE (reply.aa);
        CU_ASSERT_EQUAL (reply.counts [0], 1);
        CU_ASSERT_EQUAL (reply.counts [1] + reply.counts [2] + reply.counts [3], 0);
    }
    //  class CH (version.bind and friends)
    uint8_t query [512];
    size_t size = s_query (query, 2, "echo.service.fogrid", T_TXT, 0);
    query [size - 1] = 3;
    s_ask (query, size, false, 512, &reply);
    CU_ASSERT_EQUAL (reply.rcode, 5);
    //  class ANY is class IN here
    query [size - 1] = 255;
    s_ask (query, size, false, 512, &reply);
    CU_ASSERT_EQUAL (reply.rcode, 0);
    CU_ASSERT_EQUAL (reply.counts [1], 2);

    //  opcode STATUS and NOTIFY: not implemented, id and opcode echoed
    for (int opcode = 1; opcode < 16; opcode++) {
        size = s_query (query, 3, "echo.service.fogrid", T_SRV, 0);
        query [2] = (uint8_t) (opcode << 3);
        s_ask (query, size, false, 512, &reply);
        CU_ASSERT_TRUE (reply.ok);
        CU_ASSERT_EQUAL (reply.rcode, 4);
        CU_ASSERT_EQUAL (reply.opcode, opcode);
        CU_ASSERT_EQUAL (reply.id, 3);
        CU_ASSERT_EQUAL (reply.counts [1], 0);
    }
    //  zone transfers neither
    size = s_query (query, 4, "fogrid", T_AXFR, 0);
    s_ask (query, size, true, LOC_DNS_TCP_MAX, &reply);
    CU_ASSERT_EQUAL (reply.rcode, 4);
    CU_ASSERT_EQUAL (reply.counts [1], 0);

    //  a domain we cannot parse is our fault, not the client's
    loc_dns_config_t broken = { "bad..domain", 30 };
    uint8_t buffer [512];
    size = s_query (query, 5, "echo.service.fogrid", T_SRV, 0);
    size_t len = loc_dns_answer (&broken, query, size, buffer, sizeof buffer, false, s_lookup, NULL);
    s_decode (buffer, len, &reply);
    CU_ASSERT_TRUE (reply.ok);
    CU_ASSERT_EQUAL (reply.rcode, 2);
}

static void
test_case (void)
{
    s_reply_t reply;
    uint8_t query [512];
    s_last_lookup [0] = 0;
    size_t size = s_query (query, 0xBEEF, "EcHo.SeRvIcE.FoGrId.", T_SRV, 0);
    s_ask (query, size, false, 512, &reply);
    CU_ASSERT_TRUE (reply.ok);
    CU_ASSERT_EQUAL (reply.rcode, 0);
    CU_ASSERT_EQUAL (reply.counts [1], 4);
    //  the registry sees lower case; the client gets its own spelling back
    //  (resolvers randomize case to detect spoofing)
    CU_ASSERT_STRING_EQUAL (s_last_lookup, "echo");
    CU_ASSERT_STRING_EQUAL (reply.qname, "EcHo.SeRvIcE.FoGrId.");
    CU_ASSERT_STRING_EQUAL (reply.rr [0].name, "EcHo.SeRvIcE.FoGrId.");
    s_ask_name ("10-0-0-5.ADDR.Fogrid", T_A, &reply);
    CU_ASSERT_EQUAL (reply.counts [1], 1);
    s_ask_name ("NOPE.service.FOGRID", T_A, &reply);
    s_assert_negative (&reply, 3);

    //  the configured domain is case-insensitive too, with or without dot
    loc_dns_config_t upper = { "FoGrid", 30 };
    uint8_t buffer [512];
    size = s_query (query, 6, "echo.service.fogrid", T_A, 0);
    size_t len = loc_dns_answer (&upper, query, size, buffer, sizeof buffer, false, s_lookup, NULL);
    s_decode (buffer, len, &reply);
    CU_ASSERT_EQUAL (reply.rcode, 0);
    CU_ASSERT_EQUAL (reply.counts [1], 2);

    //  a domain of more than one label
    loc_dns_config_t deep = { "grid.example.org.", 30 };
    size = s_query (query, 6, "echo.service.grid.example.org", T_SRV, 0);
    len = loc_dns_answer (&deep, query, size, buffer, sizeof buffer, false, s_lookup, NULL);
    s_decode (buffer, len, &reply);
    CU_ASSERT_TRUE (reply.ok);
    CU_ASSERT_EQUAL (reply.rcode, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL (s_find_srv (&reply, 5555));
    CU_ASSERT_STRING_EQUAL (s_find_srv (&reply, 5555)->target, "10-0-0-5.addr.grid.example.org.");
    size = s_query (query, 6, "echo.service.fogrid", T_SRV, 0);
    len = loc_dns_answer (&deep, query, size, buffer, sizeof buffer, false, s_lookup, NULL);
    s_decode (buffer, len, &reply);
    CU_ASSERT_EQUAL (reply.rcode, 5);
}

//  A reply with the FORMERR shape; the id echoed when it came
static void
s_assert_formerr (const uint8_t *query, size_t size, int id)
{
    s_reply_t reply;
    size_t len = s_ask (query, size, false, 512, &reply);
    CU_ASSERT_TRUE (len >= 12);
    CU_ASSERT_EQUAL (reply.rcode, 1);
    CU_ASSERT_TRUE (reply.qr);
    CU_ASSERT_FALSE (reply.aa);
    CU_ASSERT_EQUAL (reply.counts [1] + reply.counts [2] + reply.counts [3], 0);
    if (id >= 0)
        CU_ASSERT_EQUAL (reply.id, id);
}

static void
test_malformed (void)
{
    uint8_t query [1024] = { 0 }, reply [512];
    size_t size;
    //  nothing to answer: empty, no room for an id, or a response
    CU_ASSERT_EQUAL (loc_dns_answer (&s_config, query, 0, reply, 512, false, s_lookup, NULL), 0);
    CU_ASSERT_EQUAL (loc_dns_answer (&s_config, (uint8_t *) "\x12", 1, reply, 512, false, s_lookup, NULL), 0);
    size = s_query (query, 8, "echo.service.fogrid", T_SRV, 0);
    query [2] |= 0x80;
    CU_ASSERT_EQUAL (loc_dns_answer (&s_config, query, size, reply, 512, false, s_lookup, NULL), 0);
    //  nor when the reply could not hold a header
    size = s_query (query, 8, "echo.service.fogrid", T_SRV, 0);
    CU_ASSERT_EQUAL (loc_dns_answer (&s_config, query, size, reply, 11, false, s_lookup, NULL), 0);

    //  a truncated header
    for (size_t cut = 2; cut < 12; cut++)
        s_assert_formerr ((const uint8_t *) "\xAB\xCD\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", cut, 0xABCD);
    //  header only, and no question or two
    size = s_query (query, 10, "echo.service.fogrid", T_SRV, 0);
    s_assert_formerr (query, 12, 10);
    query [5] = 0;
    s_assert_formerr (query, size, 10);
    query [5] = 2;
    s_assert_formerr (query, size, 10);
    //  the question cut short, anywhere
    size = s_query (query, 11, "echo.service.fogrid", T_SRV, 0);
    for (size_t cut = 13; cut < size; cut++)
        s_assert_formerr (query, cut, 11);
    //  a label longer than what is left
    size = s_query (query, 12, "echo.service.fogrid", T_SRV, 0);
    query [12] = 40;
    s_assert_formerr (query, size, 12);
    //  a label with the reserved 01 or 10 type bits
    size = s_query (query, 13, "echo.service.fogrid", T_SRV, 0);
    query [12] = 0x44;
    s_assert_formerr (query, size, 13);
    query [12] = 0x84;
    s_assert_formerr (query, size, 13);
    //  a pointer that loops on itself, one into the header, one forward
    uint8_t loop [] = { 0, 14, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 33, 0, 1 };
    s_assert_formerr (loop, sizeof loop, 14);
    loop [13] = 2;
    s_assert_formerr (loop, sizeof loop, 14);
    uint8_t hop [] = { 0, 15, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 4, 'e', 'c', 'h', 'o', 0xC0, 12, 0, 33, 0, 1 };
    s_assert_formerr (hop, sizeof hop, 15);
    //  a name over 255 bytes
    char name [400] = "";
    for (int index = 0; index < 26; index++)
        strcat (name, "abcdefghi.");
    strcat (name, "service.fogrid");
    size = s_query (query, 16, name, T_SRV, 0);
    s_assert_formerr (query, size, 16);
    //  an OPT cut short, two OPTs, an OPT not at the root, OPT asked for
    size = s_query (query, 17, "echo.service.fogrid", T_SRV, 1232);
    s_assert_formerr (query, size - 1, 17);
    query [11] = 2;
    memcpy (query + size, query + size - 11, 11);
    s_assert_formerr (query, size + 11, 17);
    size = s_query (query, 18, "echo.service.fogrid", T_SRV, 0);
    query [11] = 1;
    memcpy (query + size, "\x01x\x00\x00\x29\x04\xd0\0\0\0\0\0\0", 13);
    s_assert_formerr (query, size + 13, 18);
    size = s_query (query, 19, "echo.service.fogrid", T_OPT, 0);
    s_assert_formerr (query, size, 19);
    //  an answer record in a query, cut short
    size = s_query (query, 20, "echo.service.fogrid", T_SRV, 0);
    query [7] = 1;
    memcpy (query + size, "\xC0\x0C\x00\x01\x00\x01\x00\x00\x00\x1e\x00\x04\x0a", 13);
    s_assert_formerr (query, size + 13, 20);

    //  records the codec only steps over may point anywhere, even in a
    //  loop: it never follows them
    memcpy (query + size, "\xC0\x0C\x00\x01\x00\x01\x00\x00\x00\x1e\x00\x04\x0a\x00\x00\x01", 16);
    query [size] = 0xC0;
    query [size + 1] = (uint8_t) size;
    s_reply_t parsed;
    s_ask (query, size + 16, false, 512, &parsed);
    CU_ASSERT_EQUAL (parsed.rcode, 0);
    CU_ASSERT_EQUAL (parsed.counts [1], 4);
    //  and trailing bytes after the last record do no harm
    size = s_query (query, 21, "echo.service.fogrid", T_A, 0);
    s_ask (query, size + 5, false, 512, &parsed);
    CU_ASSERT_EQUAL (parsed.rcode, 0);
    CU_ASSERT_EQUAL (parsed.counts [1], 2);
}

static void
test_truncation (void)
{
    uint8_t query [512];
    s_reply_t reply;
    //  forty SRV records do not fit in 512 bytes: TC, question only
    size_t size = s_query (query, 30, "big.service.fogrid", T_SRV, 0);
    size_t len = s_ask (query, size, false, LOC_DNS_UDP_MAX, &reply);
    CU_ASSERT_TRUE (reply.ok);
    CU_ASSERT_TRUE (reply.tc);
    CU_ASSERT_TRUE (reply.aa);
    CU_ASSERT_EQUAL (reply.rcode, 0);
    CU_ASSERT_EQUAL (reply.counts [0], 1);
    CU_ASSERT_EQUAL (reply.counts [1] + reply.counts [2] + reply.counts [3], 0);
    CU_ASSERT_TRUE (len <= 512);
    //  nor in 1232 with EDNS0; the OPT still comes back
    size = s_query (query, 31, "big.service.fogrid", T_SRV, 4096);
    len = s_ask (query, size, false, LOC_DNS_UDP_MAX, &reply);
    CU_ASSERT_TRUE (reply.ok);
    CU_ASSERT_TRUE (reply.tc);
    CU_ASSERT_EQUAL (reply.counts [1], 0);
    CU_ASSERT_EQUAL (reply.counts [3], 1);
    CU_ASSERT_EQUAL (reply.rr [0].type, T_OPT);
    CU_ASSERT_EQUAL (reply.rr [0].klass, LOC_DNS_UDP_MAX);
    //  over TCP all of it fits
    size = s_query (query, 32, "big.service.fogrid", T_SRV, 0);
    len = s_ask (query, size, true, LOC_DNS_TCP_MAX, &reply);
    CU_ASSERT_TRUE (reply.ok);
    CU_ASSERT_FALSE (reply.tc);
    CU_ASSERT_EQUAL (reply.counts [1], 40);
    CU_ASSERT_EQUAL (reply.counts [3], 40);
    CU_ASSERT_TRUE (len > 1232);
    CU_ASSERT_STRING_EQUAL (reply.rr [39].target, "10-1-0-40.addr.fogrid.");
    CU_ASSERT_STRING_EQUAL (reply.rr [79].name, "10-1-0-40.addr.fogrid.");
    CU_ASSERT_EQUAL (reply.rr [79].addr [3], 40);
    //  ANY over TCP too
    size = s_query (query, 33, "big.service.fogrid", T_ANY, 0);
    s_ask (query, size, true, LOC_DNS_TCP_MAX, &reply);
    CU_ASSERT_FALSE (reply.tc);
    CU_ASSERT_EQUAL (reply.counts [1], 40 + 40 + 2);

    //  ten fit in 512, their glue does not all: the glue is left out
    //  without TC (RFC 2181 9), and all of it comes with EDNS0
    size = s_query (query, 34, "ten.service.fogrid", T_SRV, 0);
    len = s_ask (query, size, false, LOC_DNS_UDP_MAX, &reply);
    CU_ASSERT_TRUE (reply.ok);
    CU_ASSERT_FALSE (reply.tc);
    CU_ASSERT_EQUAL (reply.counts [1], 10);
    CU_ASSERT_TRUE (reply.counts [3] < 10);
    CU_ASSERT_TRUE (len <= 512);
    size = s_query (query, 35, "ten.service.fogrid", T_SRV, 1232);
    s_ask (query, size, false, LOC_DNS_UDP_MAX, &reply);
    CU_ASSERT_FALSE (reply.tc);
    CU_ASSERT_EQUAL (reply.counts [1], 10);
    CU_ASSERT_EQUAL (reply.counts [3], 11);
    CU_ASSERT_EQUAL (s_count (&reply, 2, T_OPT), 1);
    //  the caller's buffer is a limit too
    size = s_query (query, 36, "ten.service.fogrid", T_SRV, 1232);
    len = s_ask (query, size, false, 300, &reply);
    CU_ASSERT_TRUE (reply.ok);
    CU_ASSERT_TRUE (reply.tc);
    CU_ASSERT_TRUE (len <= 300);
    //  an advertised size under 512 means 512
    size = s_query (query, 37, "ten.service.fogrid", T_SRV, 100);
    s_ask (query, size, false, LOC_DNS_UDP_MAX, &reply);
    CU_ASSERT_FALSE (reply.tc);
    CU_ASSERT_EQUAL (reply.counts [1], 10);
    //  room for the header only
    size = s_query (query, 38, "echo.service.fogrid", T_SRV, 0);
    len = s_ask (query, size, false, 12, &reply);
    CU_ASSERT_EQUAL (len, 12);
    CU_ASSERT_TRUE (reply.ok);
    CU_ASSERT_TRUE (reply.tc);
    CU_ASSERT_EQUAL (reply.id, 38);
}

static void
test_edns (void)
{
    uint8_t query [512];
    s_reply_t reply;
    size_t size = s_query (query, 40, "echo.service.fogrid", T_SRV, 1232);
    s_ask (query, size, false, LOC_DNS_UDP_MAX, &reply);
    CU_ASSERT_TRUE (reply.ok);
    CU_ASSERT_EQUAL (reply.rcode, 0);
    CU_ASSERT_EQUAL (reply.counts [3], 3);
    const s_rr_t *opt = &reply.rr [reply.n_rr - 1];
    CU_ASSERT_EQUAL (opt->type, T_OPT);
    CU_ASSERT_STRING_EQUAL (opt->name, ".");
    CU_ASSERT_EQUAL (opt->ttl, 0);
    //  a version we do not speak: BADVERS, 16, split over header and OPT
    query [size - 5] = 1;
    s_ask (query, size, false, LOC_DNS_UDP_MAX, &reply);
    CU_ASSERT_TRUE (reply.ok);
    CU_ASSERT_EQUAL (reply.rcode, 0);
    CU_ASSERT_EQUAL (reply.counts [1], 0);
    CU_ASSERT_EQUAL_FATAL (reply.counts [3], 1);
    CU_ASSERT_EQUAL (reply.rr [0].type, T_OPT);
    CU_ASSERT_EQUAL (reply.rr [0].ttl >> 24, 1);
    //  options (a cookie, as dig sends) are stepped over
    size = s_query (query, 41, "echo.service.fogrid", T_A, 1232);
    query [size - 1] = 12;
    memcpy (query + size, "\x00\x0a\x00\x08" "abcdefgh", 12);
    s_ask (query, size + 12, false, LOC_DNS_UDP_MAX, &reply);
    CU_ASSERT_TRUE (reply.ok);
    CU_ASSERT_EQUAL (reply.rcode, 0);
    CU_ASSERT_EQUAL (reply.counts [1], 2);
    CU_ASSERT_EQUAL (reply.counts [3], 1);
    //  error replies carry an OPT too (else dig takes the server for one
    //  without EDNS0), but not when the OPT itself was the error
    size = s_query (query, 42, "echo.service.fogrid", T_SRV, 1232);
    query [2] = 4 << 3;
    s_ask (query, size, false, LOC_DNS_UDP_MAX, &reply);
    CU_ASSERT_TRUE (reply.ok);
    CU_ASSERT_EQUAL (reply.rcode, 4);
    CU_ASSERT_EQUAL_FATAL (reply.counts [3], 1);
    CU_ASSERT_EQUAL (reply.rr [0].type, T_OPT);
    size = s_query (query, 43, "echo.service.fogrid", T_OPT, 1232);
    s_ask (query, size, false, LOC_DNS_UDP_MAX, &reply);
    CU_ASSERT_EQUAL (reply.rcode, 1);
    CU_ASSERT_EQUAL (reply.counts [3], 1);
    size = s_query (query, 44, "echo.service.fogrid", T_SRV, 1232);
    s_ask (query, size - 1, false, LOC_DNS_UDP_MAX, &reply);
    CU_ASSERT_EQUAL (reply.rcode, 1);
    CU_ASSERT_EQUAL (reply.counts [3], 0);
}

//  Random bytes and mutated queries: the codec must never write past the
//  buffer, and whatever it answers must decode
static void
test_random (void)
{
    uint8_t query [600];
    uint8_t seed [600];
    const char *names [] = { "echo.service.fogrid", "big.service.fogrid", "10-0-0-5.addr.fogrid",
                             "fogrid", "example.com" };
    uint16_t types [] = { T_SRV, T_A, T_TXT, T_ANY, T_SOA };
    srandom (42);
    for (int round = 0; round < 20000; round++) {
        size_t size;
        if (round % 2) {
            size = (size_t) random () % 100;
            for (size_t index = 0; index < size; index++)
                query [index] = (uint8_t) random ();
        }
        else {
            size = s_query (seed, 1, names [round % 5], types [(round / 5) % 5], round % 3? 0: 1232);
            memcpy (query, seed, size);
            for (int flips = 1 + random () % 4; flips; flips--)
                query [random () % size] = (uint8_t) random ();
            if (round % 7 == 0)
                size = (size_t) random () % size;
        }
        s_reply_t reply;
        bool tcp = round % 4 == 0;
        size_t len = s_ask (query, size, tcp, tcp? LOC_DNS_TCP_MAX: LOC_DNS_UDP_MAX, &reply);
        if (len) {
            CU_ASSERT_TRUE (reply.ok);
            if (!reply.ok)
                break;
        }
    }
}

void
test_loc_dns_add (void)
{
    ts_add_suite ("loc_dns",
        "SRV per target, synthesized names, glue", test_srv,
        "_NAME._tcp.service: SRV and TXT (RFC 2782)", test_srv_form,
        "names are compressed", test_compression,
        "A per distinct address, addr names", test_a,
        "TXT protocol and functions", test_txt,
        "ANY gives all of them", test_any,
        "NODATA with the SOA", test_nodata,
        "NXDOMAIN with the SOA", test_nxdomain,
        "REFUSED, NOTIMP, SERVFAIL", test_refused_notimp,
        "names are case-insensitive", test_case,
        "malformed queries", test_malformed,
        "truncation over UDP, all over TCP", test_truncation,
        "EDNS0", test_edns,
        "random and mutated queries", test_random,
        NULL);
}
