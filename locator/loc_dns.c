/*  =========================================================================
    loc_dns - the locator's DNS view: one query message in, one reply out

    DESIGN
    The locator is authoritative for one domain (config->domain, "fogrid."
    below) and nothing else; it never recurses. This file holds no socket
    and no state: the daemon hands it a query and a lookup into its
    registry, and sends back the bytes it gets (UDP as a datagram, TCP after
    the two-byte length). The zone it presents:

        fogrid.                     SOA (serial 1; minimum = ttl)
        service.fogrid.             exists, no records (empty non-terminal)
        NAME.service.fogrid.        SRV  prio weight port TARGET, per target
                                    A    per distinct IPv4 target host
                                    TXT  "protocol=N"
                                    TXT  "functions=a,b,c"
        _tcp.service.fogrid.        exists, no records (empty non-terminal)
        _NAME._tcp.service.fogrid.  SRV and TXT as NAME.service.fogrid. (RFC 2782)
        addr.fogrid.                exists, no records (empty non-terminal)
        A-B-C-D.addr.fogrid.        A    A.B.C.D

    An SRV record needs a name as its target, not an address, so a target
    whose host is an IPv4 address gets the name 10-0-0-5.addr.fogrid.,
    with its A record in the additional section (saves the client a second
    query). The A record of an addr name is synthesized from the label
    alone, without asking the registry: the registry is keyed by service,
    and a name that spells an address and answers with that address tells
    nobody anything they did not ask. Only the canonical spelling (decimal,
    no leading zeros) exists, so each address has exactly one name. Host
    names are taken as fully qualified and go into SRV as they are; hosts
    that are neither (an IPv6 literal, "*") are left out of the answer.

    The RFC 2782 spelling, _NAME._tcp.service.fogrid., is for tools that
    build SRV names from a service and a protocol themselves (every
    fogrid endpoint is TCP). It holds the same SRV and TXT records as the
    short name, but no A: an address belongs to a host, not to the
    underscore name of a service, which no client asks an address of.

    Long TXT values are split into 255-byte strings inside one record; the
    reader concatenates the strings of a record, as for SPF and DKIM. Each
    record is one key=value, so a cache reordering the RRset is harmless.

    Every answer a client could cache carries AA; an unknown name under the
    domain is NXDOMAIN, a known name without the asked type is NODATA, both
    with the SOA in authority for negative caching (RFC 2308). service. and
    addr. are NODATA rather than NXDOMAIN, because names exist below them
    and a resolver may prune everything under an NXDOMAIN (RFC 8020).

    What each query gets (AA on everything in the domain except NOTIMP):

        under 2 bytes, QR set               nothing (never answer an answer)
        2..11 bytes                         FORMERR, id and opcode echoed
        opcode not QUERY                    NOTIMP
        not one question, bytes run out     FORMERR
        EDNS version over 0                 BADVERS (16: 0 in the header,
                                            1 in the OPT's extended rcode)
        class not IN or ANY                 REFUSED
        name outside the domain             REFUSED
        AXFR IXFR MAILA MAILB               NOTIMP
        no such name in the domain          NXDOMAIN, SOA in authority
        a name without the type asked       NOERROR, SOA in authority
        no domain configured, or a bad one  SERVFAIL

    The question is echoed whenever it parsed, and an OPT record goes back
    whenever a valid one came, on errors too: without it dig concludes the
    server has no EDNS0 and says so.

    Parsing trusts nothing: every read is bounds-checked, the question must
    not use compression (no client compresses the only name in a message,
    and pointers there could only point back into the header), and other
    records are skipped without following their pointers, so there is no
    loop to bound. EDNS0 (RFC 6891) is honoured for the UDP size, capped
    at 1232 (the DNS flag day 2020 size, no fragmentation on common paths).
    When the answer or authority section does not fit, the reply keeps the
    question only and sets TC, so the client retries over TCP (where only
    an answer over 64K could still be cut short that way); additional
    records that do not fit are just left out (RFC 2181 section 9).
    =========================================================================  */
#include "loc_dns.h"
#include <string.h>
#include <strings.h>
#include <stdio.h>

#define S_HEADER        12
#define S_NAME_MAX      255     //  wire form, with the root label
#define S_TABLE_MAX     512     //  compression targets remembered per reply
#define S_HOPS_MAX      128     //  pointer hops when comparing a written name
#define S_UDP_PLAIN     512
#define S_OPT_SIZE      11      //  an OPT record without options

#define S_TYPE_A        1
#define S_TYPE_SOA      6
#define S_TYPE_TXT      16
#define S_TYPE_SRV      33
#define S_TYPE_OPT      41
#define S_TYPE_IXFR     251
#define S_TYPE_AXFR     252
#define S_TYPE_MAILB    253
#define S_TYPE_MAILA    254
#define S_TYPE_ANY      255
#define S_CLASS_IN      1
#define S_CLASS_ANY     255

#define S_NOERROR       0
#define S_FORMERR       1
#define S_SERVFAIL      2
#define S_NXDOMAIN      3
#define S_NOTIMP        4
#define S_REFUSED       5
#define S_BADVERS       16      //  extended: needs the OPT record

//  SOA timers; nothing transfers this zone, so they only need to be sane
#define S_SOA_SERIAL    1
#define S_SOA_REFRESH   3600
#define S_SOA_RETRY     600
#define S_SOA_EXPIRE    86400

//  What the parser learnt from a query
typedef struct {
    uint8_t flags;              //  byte 2 of the header: QR, opcode, AA, TC, RD
    bool cd;                    //  checking disabled, copied back
    bool has_question;          //  question parsed, echoed in the reply
    size_t question_end;        //  offset after the question
    uint8_t qname [S_NAME_MAX]; //  wire form, lower case
    uint16_t qtype;
    uint16_t qclass;
    bool edns;                  //  an OPT record came
    uint16_t edns_size;         //  its UDP payload size
    uint8_t edns_version;
} s_query_t;

//  Appends to the reply; a write that would pass limit sets full instead,
//  and the record being written is then undone by the caller
typedef struct {
    uint8_t *buf;
    size_t len;                 //  bytes written
    size_t limit;               //  no write goes past this
    bool full;                  //  a write did not fit
    uint16_t names [S_TABLE_MAX];   //  offsets of labels written out, for compression
    size_t n_names;
} s_writer_t;

//  Where to go back to when a record does not fit
typedef struct {
    size_t len;
    size_t n_names;
} s_mark_t;

//  One reply being built
typedef struct {
    const s_query_t *query;
    s_writer_t w;
    uint8_t apex [S_NAME_MAX];  //  the domain, wire form, lower case
    uint32_t ttl;
    size_t counts [3];          //  answer, authority, additional
    bool truncated;             //  answer or authority did not fit
    bool aa;                    //  the name is ours
} s_reply_t;

enum { S_ANSWER, S_AUTHORITY, S_ADDITIONAL };

static uint8_t
s_lower (uint8_t c)
{
    return c >= 'A' && c <= 'Z'? c + ('a' - 'A'): c;
}

static uint16_t
s_get16 (const uint8_t *p)
{
    return (uint16_t) (p [0] << 8 | p [1]);
}

//  Length of a wire name (no pointers), with its root label
static size_t
s_name_len (const uint8_t *name)
{
    size_t pos = 0;
    while (name [pos])
        pos += 1 + name [pos];
    return pos + 1;
}

//  ---------------------------------------------------------------------
//  Parsing

//  Reads the question name: labels only, no pointers, at most 255 bytes.
//  The copy is lower case, so matching needs no further care.
static bool
s_read_qname (const uint8_t *msg, size_t size, size_t *offset, uint8_t *name)
{
    size_t pos = *offset;
    size_t len = 0;
    while (true) {
        if (pos >= size)
            return false;
        uint8_t label = msg [pos];
        if (label & 0xC0)               //  a pointer, or the unused 01/10 types
            return false;
        if (pos + 1 + label > size || len + 1 + label > S_NAME_MAX)
            return false;
        name [len++] = label;
        for (size_t index = 0; index < label; index++)
            name [len++] = s_lower (msg [pos + 1 + index]);
        pos += 1 + label;
        if (label == 0)
            break;
    }
    *offset = pos;
    return true;
}

//  Steps over a name in some other record without following its pointer:
//  we never need its value, so there is nothing that could loop.
static bool
s_skip_name (const uint8_t *msg, size_t size, size_t *offset)
{
    size_t pos = *offset;
    size_t len = 0;
    while (true) {
        if (pos >= size)
            return false;
        uint8_t label = msg [pos];
        if ((label & 0xC0) == 0xC0) {
            if (pos + 2 > size)
                return false;
            pos += 2;
            break;
        }
        if (label & 0xC0)
            return false;
        len += 1 + label;
        if (pos + 1 + label > size || len > S_NAME_MAX)
            return false;
        pos += 1 + label;
        if (label == 0)
            break;
    }
    *offset = pos;
    return true;
}

//  Steps over the records after the question, noting the OPT record.
//  False when one runs past the end or the OPT is not valid; the OPT only
//  counts when it is, as a reply must not carry one back for a bad one.
static bool
s_parse_records (const uint8_t *msg, size_t size, size_t offset,
                 size_t other, size_t arcount, s_query_t *query)
{
    for (size_t index = 0; index < other + arcount; index++) {
        size_t start = offset;
        if (!s_skip_name (msg, size, &offset) || offset + 10 > size)
            return false;
        size_t fixed = offset;
        uint16_t rdlength = s_get16 (msg + fixed + 8);
        offset += 10;
        if (offset + rdlength > size)
            return false;
        offset += rdlength;
        if (index >= other && s_get16 (msg + fixed) == S_TYPE_OPT) {
            //  one OPT at most, and only at the root (RFC 6891 6.1.1)
            if (query->edns || msg [start] != 0) {
                query->edns = false;
                return false;
            }
            query->edns = true;
            query->edns_size = s_get16 (msg + fixed + 2);
            query->edns_version = msg [fixed + 5];
        }
    }
    return true;
}

//  Parses a query; returns S_NOERROR, S_FORMERR or S_NOTIMP. The header is
//  at least 12 bytes.
static int
s_parse (const uint8_t *msg, size_t size, s_query_t *query)
{
    memset (query, 0, sizeof *query);
    query->flags = msg [2];
    query->cd = (msg [3] & 0x10) != 0;
    uint16_t qdcount = s_get16 (msg + 4);
    size_t other = (size_t) s_get16 (msg + 6) + s_get16 (msg + 8);
    uint16_t arcount = s_get16 (msg + 10);
    size_t offset = S_HEADER;

    //  a question is echoed whenever it parses, even with an error, which
    //  lets the client match the reply to what it asked
    if (qdcount == 1
    &&  s_read_qname (msg, size, &offset, query->qname)
    &&  offset + 4 <= size) {
        query->qtype = s_get16 (msg + offset);
        query->qclass = s_get16 (msg + offset + 2);
        offset += 4;
        query->question_end = offset;
        query->has_question = true;
    }
    //  records in answer and authority mean nothing in a QUERY; they are
    //  stepped over to reach the additional section, where EDNS0 lives: an
    //  error reply carries an OPT too, or the client takes it for a server
    //  without EDNS0 (dig says so)
    bool records = query->has_question
                && s_parse_records (msg, size, offset, other, arcount, query);
    if (((msg [2] >> 3) & 0x0F) != 0)
        return S_NOTIMP;
    if (!records)
        return S_FORMERR;
    if (query->qtype == S_TYPE_OPT)
        return S_FORMERR;           //  a pseudo type, not something to ask for
    return S_NOERROR;
}

//  ---------------------------------------------------------------------
//  Writing

static void
s_put (s_writer_t *w, const void *data, size_t size)
{
    if (w->full || w->len + size > w->limit) {
        w->full = true;
        return;
    }
    memcpy (w->buf + w->len, data, size);
    w->len += size;
}

static void
s_put8 (s_writer_t *w, uint8_t value)
{
    s_put (w, &value, 1);
}

static void
s_put16 (s_writer_t *w, uint16_t value)
{
    uint8_t bytes [2] = { (uint8_t) (value >> 8), (uint8_t) value };
    s_put (w, bytes, 2);
}

static void
s_put32 (s_writer_t *w, uint32_t value)
{
    uint8_t bytes [4] = { (uint8_t) (value >> 24), (uint8_t) (value >> 16),
                          (uint8_t) (value >> 8), (uint8_t) value };
    s_put (w, bytes, 4);
}

static s_mark_t
s_mark (const s_writer_t *w)
{
    s_mark_t mark = { w->len, w->n_names };
    return mark;
}

static void
s_undo (s_writer_t *w, s_mark_t mark)
{
    w->len = mark.len;
    w->n_names = mark.n_names;
    w->full = false;
}

//  Ends a record started at mark: true when it fit, else it is undone
static bool
s_commit (s_writer_t *w, s_mark_t mark)
{
    if (!w->full)
        return true;
    s_undo (w, mark);
    return false;
}

//  True when the name written at offset (pointers allowed) equals name
//  (pointers not allowed), ignoring case. The reply is our own, but the
//  hops are bounded all the same.
static bool
s_name_at (const s_writer_t *w, size_t offset, const uint8_t *name)
{
    int hops = 0;
    while (true) {
        if (offset >= w->len)
            return false;
        uint8_t label = w->buf [offset];
        if ((label & 0xC0) == 0xC0) {
            if (offset + 1 >= w->len || ++hops > S_HOPS_MAX)
                return false;
            offset = (size_t) (label & 0x3F) << 8 | w->buf [offset + 1];
            continue;
        }
        if (label != name [0] || offset + 1 + label > w->len)
            return false;
        if (label == 0)
            return true;
        for (size_t index = 1; index <= label; index++)
            if (s_lower (w->buf [offset + index]) != s_lower (name [index]))
                return false;
        offset += 1 + label;
        name += 1 + label;
    }
}

//  Writes a name, ending it with a pointer to the longest suffix already
//  in the reply when compress is set. Labels written out are remembered
//  either way, so later names can point at them.
static void
s_put_name (s_writer_t *w, const uint8_t *name, bool compress)
{
    while (name [0]) {
        if (compress)
            for (size_t index = 0; index < w->n_names; index++)
                if (s_name_at (w, w->names [index], name)) {
                    s_put16 (w, (uint16_t) (0xC000 | w->names [index]));
                    return;
                }
        if (w->len < 0x4000 && w->n_names < S_TABLE_MAX)
            w->names [w->n_names++] = (uint16_t) w->len;
        s_put (w, name, 1 + name [0]);
        name += 1 + name [0];
    }
    s_put8 (w, 0);
}

//  Starts a record in class IN; returns where its rdlength goes
static size_t
s_rr_begin (s_reply_t *self, const uint8_t *owner, uint16_t type)
{
    s_put_name (&self->w, owner, true);
    s_put16 (&self->w, type);
    s_put16 (&self->w, S_CLASS_IN);
    s_put32 (&self->w, self->ttl);
    size_t at = self->w.len;
    s_put16 (&self->w, 0);
    return at;
}

//  Fills in the rdlength; the limit (at most 65535) keeps it in 16 bits
static void
s_rr_end (s_reply_t *self, size_t at)
{
    if (self->w.full)
        return;
    size_t rdlength = self->w.len - at - 2;
    self->w.buf [at] = (uint8_t) (rdlength >> 8);
    self->w.buf [at + 1] = (uint8_t) rdlength;
}

//  Counts a finished record in its section; a record that did not fit in
//  answer or authority spoils the reply, one in additional is just dropped
static bool
s_rr_done (s_reply_t *self, s_mark_t mark, int section)
{
    if (s_commit (&self->w, mark)) {
        self->counts [section]++;
        return true;
    }
    if (section != S_ADDITIONAL)
        self->truncated = true;
    return false;
}

//  ---------------------------------------------------------------------
//  Names

//  Converts "a.b.c." (trailing dot optional, "" or "." is the root) into
//  wire form, lower case. Labels hold letters, digits, '-' and '_'. Returns
//  false on anything else, including an empty label or over 255 bytes.
static bool
s_name_from_text (const char *text, uint8_t *name)
{
    size_t len = 0;
    if (text [0] == '.' && text [1] == 0)
        text++;
    while (*text) {
        const char *dot = strchr (text, '.');
        size_t label = dot? (size_t) (dot - text): strlen (text);
        if (label == 0 || label > 63 || len + 1 + label + 1 > S_NAME_MAX)
            return false;
        name [len++] = (uint8_t) label;
        for (size_t index = 0; index < label; index++) {
            uint8_t c = s_lower ((uint8_t) text [index]);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
                return false;
            name [len++] = c;
        }
        text += dot? label + 1: label;
    }
    name [len] = 0;
    return true;
}

//  Prefixes suffix (wire form) with one label; false when over 255 bytes
static bool
s_name_join (uint8_t *name, const char *label, const uint8_t *suffix)
{
    size_t label_len = strlen (label);
    size_t suffix_len = s_name_len (suffix);
    if (label_len == 0 || label_len > 63 || 1 + label_len + suffix_len > S_NAME_MAX)
        return false;
    name [0] = (uint8_t) label_len;
    memcpy (name + 1, label, label_len);
    memmove (name + 1 + label_len, suffix, suffix_len);
    return true;
}

static bool
s_label_is (const uint8_t *label, const char *text)
{
    size_t len = strlen (text);
    return label [0] == len && memcmp (label + 1, text, len) == 0;
}

//  Parses a strict dotted quad: four decimal numbers 0..255, up to three
//  digits each. Anything else is a host name, or nothing.
static bool
s_ipv4_parse (const char *text, uint8_t *addr)
{
    for (int part = 0; part < 4; part++) {
        unsigned value = 0;
        int digits = 0;
        while (*text >= '0' && *text <= '9' && digits < 4) {
            value = value * 10 + (unsigned) (*text++ - '0');
            digits++;
        }
        if (digits == 0 || digits > 3 || value > 255)
            return false;
        addr [part] = (uint8_t) value;
        if (part < 3 && *text++ != '.')
            return false;
    }
    return *text == 0;
}

//  Parses an addr label "10-0-0-5": canonical only (no leading zeros), so
//  an address has one name and a cache one entry
static bool
s_addr_label_parse (const uint8_t *label, uint8_t *addr)
{
    size_t pos = 1;
    size_t end = 1 + label [0];
    for (int part = 0; part < 4; part++) {
        size_t start = pos;
        unsigned value = 0;
        while (pos < end && pos - start < 3 && label [pos] >= '0' && label [pos] <= '9')
            value = value * 10 + (unsigned) (label [pos++] - '0');
        size_t digits = pos - start;
        if (digits == 0 || value > 255 || (digits > 1 && label [start] == '0'))
            return false;
        addr [part] = (uint8_t) value;
        if (part < 3 && (pos >= end || label [pos++] != '-'))
            return false;
    }
    return pos == end;
}

//  The addr name of an IPv4 address: A-B-C-D.addr.DOMAIN
static bool
s_addr_name (const s_reply_t *self, const uint8_t *addr, uint8_t *name)
{
    uint8_t suffix [S_NAME_MAX];
    char label [16];
    snprintf (label, sizeof label, "%u-%u-%u-%u", addr [0], addr [1], addr [2], addr [3]);
    return s_name_join (suffix, "addr", self->apex)
        && s_name_join (name, label, suffix);
}

//  What a target turns into: its SRV target name, and the address when the
//  host is one. False for a host we cannot name (IPv6, "*", garbage).
typedef struct {
    uint8_t name [S_NAME_MAX];
    uint8_t addr [4];
    bool is_addr;
} s_target_t;

static bool
s_target_resolve (const s_reply_t *self, const loc_dns_target_t *target, s_target_t *out)
{
    if (!target->host)
        return false;
    out->is_addr = s_ipv4_parse (target->host, out->addr);
    if (out->is_addr)
        return s_addr_name (self, out->addr, out->name);
    if (!s_name_from_text (target->host, out->name) || out->name [0] == 0)
        return false;
    //  an all-numeric last label is a mistyped address, not a host name
    //  (RFC 3696 2: a top-level domain is never all-numeric)
    const uint8_t *last = out->name;
    while (last [1 + last [0]])
        last += 1 + last [0];
    for (size_t index = 1; index <= last [0]; index++)
        if (last [index] < '0' || last [index] > '9')
            return true;
    return false;
}

//  True when two hosts are the same name, ignoring case and a final dot
static bool
s_host_equal (const char *one, const char *two)
{
    size_t one_len = strlen (one);
    size_t two_len = strlen (two);
    one_len -= one_len && one [one_len - 1] == '.';
    two_len -= two_len && two [two_len - 1] == '.';
    return one_len == two_len && strncasecmp (one, two, one_len) == 0;
}

//  True when an earlier target of the service makes the same SRV record:
//  an RRset holds no duplicates (RFC 2181 5)
static bool
s_target_seen_srv (const loc_dns_service_t *service, size_t count)
{
    const loc_dns_target_t *target = &service->targets [count];
    for (size_t index = 0; index < count; index++) {
        const loc_dns_target_t *other = &service->targets [index];
        if (other->port == target->port && other->weight == target->weight
        &&  other->priority == target->priority && other->host
        &&  s_host_equal (other->host, target->host))
            return true;
    }
    return false;
}

//  True when an earlier target has the same IPv4 address
static bool
s_target_seen_addr (const loc_dns_service_t *service, size_t count, const uint8_t *addr)
{
    for (size_t index = 0; index < count; index++) {
        uint8_t other [4];
        const char *host = service->targets [index].host;
        if (host && s_ipv4_parse (host, other) && memcmp (other, addr, 4) == 0)
            return true;
    }
    return false;
}

//  ---------------------------------------------------------------------
//  Records

static bool
s_add_a (s_reply_t *self, int section, const uint8_t *owner, const uint8_t *addr)
{
    s_mark_t mark = s_mark (&self->w);
    size_t at = s_rr_begin (self, owner, S_TYPE_A);
    s_put (&self->w, addr, 4);
    s_rr_end (self, at);
    return s_rr_done (self, mark, section);
}

static bool
s_add_soa (s_reply_t *self, int section)
{
    uint8_t rname [S_NAME_MAX];
    if (!s_name_join (rname, "hostmaster", self->apex))
        memcpy (rname, self->apex, s_name_len (self->apex));
    s_mark_t mark = s_mark (&self->w);
    size_t at = s_rr_begin (self, self->apex, S_TYPE_SOA);
    s_put_name (&self->w, self->apex, true);    //  the primary: the locator itself
    s_put_name (&self->w, rname, true);
    s_put32 (&self->w, S_SOA_SERIAL);
    s_put32 (&self->w, S_SOA_REFRESH);
    s_put32 (&self->w, S_SOA_RETRY);
    s_put32 (&self->w, S_SOA_EXPIRE);
    s_put32 (&self->w, self->ttl);              //  how long a negative answer lives
    s_rr_end (self, at);
    return s_rr_done (self, mark, section);
}

//  SRV targets are written out whole: RFC 2782 forbids compressing them,
//  though later names may point into them
static bool
s_add_srv (s_reply_t *self, const loc_dns_target_t *target, const uint8_t *name)
{
    s_mark_t mark = s_mark (&self->w);
    size_t at = s_rr_begin (self, self->query->qname, S_TYPE_SRV);
    s_put16 (&self->w, target->priority);
    s_put16 (&self->w, target->weight);
    s_put16 (&self->w, target->port);
    s_put_name (&self->w, name, false);
    s_rr_end (self, at);
    return s_rr_done (self, mark, S_ANSWER);
}

//  Appends bytes to a TXT record, opening a new character-string every
//  255 bytes; *string is the offset of the open string's length byte
static void
s_txt_put (s_reply_t *self, size_t *string, const char *data, size_t size)
{
    s_writer_t *w = &self->w;
    for (size_t index = 0; index < size && !w->full; index++) {
        if (*string == 0 || w->buf [*string] == 255) {
            *string = w->len;
            s_put8 (w, 0);
        }
        s_put8 (w, (uint8_t) data [index]);
        if (!w->full)
            w->buf [*string]++;
    }
}

static bool
s_add_txt_protocol (s_reply_t *self, uint32_t version)
{
    char text [32];
    int size = snprintf (text, sizeof text, "protocol=%u", (unsigned) version);
    s_mark_t mark = s_mark (&self->w);
    size_t at = s_rr_begin (self, self->query->qname, S_TYPE_TXT);
    size_t string = 0;
    s_txt_put (self, &string, text, (size_t) size);
    s_rr_end (self, at);
    return s_rr_done (self, mark, S_ANSWER);
}

static bool
s_add_txt_functions (s_reply_t *self, const loc_dns_service_t *service)
{
    s_mark_t mark = s_mark (&self->w);
    size_t at = s_rr_begin (self, self->query->qname, S_TYPE_TXT);
    size_t string = 0;
    s_txt_put (self, &string, "functions=", 10);
    bool first = true;
    for (size_t index = 0; service->functions && index < service->n_functions; index++) {
        const char *function = service->functions [index];
        if (!function || !*function)
            continue;
        if (!first)
            s_txt_put (self, &string, ",", 1);
        s_txt_put (self, &string, function, strlen (function));
        first = false;
    }
    s_rr_end (self, at);
    return s_rr_done (self, mark, S_ANSWER);
}

//  ---------------------------------------------------------------------
//  Answers

static bool
s_wants (uint16_t qtype, uint16_t type)
{
    return qtype == type || qtype == S_TYPE_ANY;
}

//  NAME.service.DOMAIN, or _NAME._tcp.service.DOMAIN (srv_form: no A
//  records at the name); label is NAME's. Returns the rcode
static int
s_answer_service (s_reply_t *self, const uint8_t *label, bool srv_form,
                  loc_dns_lookup_fn *lookup, void *arg)
{
    //  fogrid service names are [a-z0-9-]; anything else cannot exist, and
    //  the registry only ever sees a clean C string
    char name [64];
    for (size_t index = 0; index < label [0]; index++) {
        uint8_t c = label [1 + index];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return S_NXDOMAIN;
        name [index] = (char) c;
    }
    name [label [0]] = 0;
    loc_dns_service_t service;
    memset (&service, 0, sizeof service);
    if (!lookup || !lookup (arg, name, &service))
        return S_NXDOMAIN;
    if (!service.targets)
        service.n_targets = 0;

    uint16_t qtype = self->query->qtype;
    s_target_t target;
    if (s_wants (qtype, S_TYPE_SRV))
        for (size_t index = 0; index < service.n_targets && !self->truncated; index++)
            if (s_target_resolve (self, &service.targets [index], &target)
            &&  !s_target_seen_srv (&service, index))
                s_add_srv (self, &service.targets [index], target.name);
    if (s_wants (qtype, S_TYPE_A) && !srv_form)
        for (size_t index = 0; index < service.n_targets && !self->truncated; index++)
            if (s_target_resolve (self, &service.targets [index], &target) && target.is_addr
            &&  !s_target_seen_addr (&service, index, target.addr))
                s_add_a (self, S_ANSWER, self->query->qname, target.addr);
    if (s_wants (qtype, S_TYPE_TXT) && !self->truncated) {
        s_add_txt_protocol (self, service.protocol_version);
        if (!self->truncated)
            s_add_txt_functions (self, &service);
    }
    //  glue for the synthesized targets, so the client needs no second
    //  query; it only follows SRV records, so a negative answer (whose SOA
    //  the caller adds to authority, after this) never has any
    if (s_wants (qtype, S_TYPE_SRV) && self->counts [S_ANSWER])
        for (size_t index = 0; index < service.n_targets && !self->truncated; index++)
            if (s_target_resolve (self, &service.targets [index], &target) && target.is_addr
            &&  !s_target_seen_addr (&service, index, target.addr))
                if (!s_add_a (self, S_ADDITIONAL, target.name, target.addr))
                    break;
    return S_NOERROR;
}

//  Answers a question in class IN; returns the rcode
static int
s_answer (s_reply_t *self, loc_dns_lookup_fn *lookup, void *arg)
{
    const s_query_t *query = self->query;
    if (query->qclass != S_CLASS_IN && query->qclass != S_CLASS_ANY)
        return S_REFUSED;

    //  the name's labels, to find where the domain starts
    const uint8_t *labels [S_NAME_MAX / 2 + 1];
    size_t n_labels = 0;
    for (const uint8_t *label = query->qname; label [0]; label += 1 + label [0])
        labels [n_labels++] = label;
    size_t n_apex = 0;
    for (const uint8_t *label = self->apex; label [0]; label += 1 + label [0])
        n_apex++;
    if (n_labels < n_apex)
        return S_REFUSED;
    const uint8_t *suffix = n_labels > n_apex? labels [n_labels - n_apex]: query->qname;
    size_t apex_len = s_name_len (self->apex);
    if (s_name_len (suffix) != apex_len || memcmp (suffix, self->apex, apex_len) != 0)
        return S_REFUSED;

    self->aa = true;
    uint16_t qtype = query->qtype;
    if (qtype == S_TYPE_AXFR || qtype == S_TYPE_IXFR
    ||  qtype == S_TYPE_MAILA || qtype == S_TYPE_MAILB) {
        self->aa = false;
        return S_NOTIMP;
    }
    size_t depth = n_labels - n_apex;
    int rcode = S_NOERROR;
    if (depth == 0) {
        if (s_wants (qtype, S_TYPE_SOA))
            s_add_soa (self, S_ANSWER);
    }
    else
    if (depth == 1) {
        if (!s_label_is (labels [0], "service") && !s_label_is (labels [0], "addr"))
            rcode = S_NXDOMAIN;
    }
    else
    if (depth == 2 && s_label_is (labels [1], "service") && s_label_is (labels [0], "_tcp"))
        ;   //  _tcp.service.DOMAIN: names exist below it, it has no records
    else
    if (depth == 2 && s_label_is (labels [1], "service"))
        rcode = s_answer_service (self, labels [0], false, lookup, arg);
    else
    if (depth == 3 && s_label_is (labels [2], "service") && s_label_is (labels [1], "_tcp")
    &&  labels [0][0] > 1 && labels [0][1] == '_') {
        //  _NAME: the service's label without its underscore
        uint8_t name [64];
        name [0] = (uint8_t) (labels [0][0] - 1);
        memcpy (name + 1, labels [0] + 2, name [0]);
        rcode = s_answer_service (self, name, true, lookup, arg);
    }
    else
    if (depth == 2 && s_label_is (labels [1], "addr")) {
        uint8_t addr [4];
        if (!s_addr_label_parse (labels [0], addr))
            rcode = S_NXDOMAIN;
        else
        if (s_wants (qtype, S_TYPE_A))
            s_add_a (self, S_ANSWER, query->qname, addr);
    }
    else
        rcode = S_NXDOMAIN;

    if (self->counts [S_ANSWER] == 0 && !self->truncated)
        s_add_soa (self, S_AUTHORITY);
    return rcode;
}

//  A FORMERR for a message too short for a question: the id and opcode
//  as far as they came, so the client can tell which query failed
static size_t
s_answer_short (const uint8_t *query, size_t size, uint8_t *reply)
{
    memset (reply, 0, S_HEADER);
    memcpy (reply, query, size > 4? 4: size);
    reply [2] = (uint8_t) (0x80 | (reply [2] & 0x79));    //  QR, opcode, RD
    reply [3] = S_FORMERR;
    return S_HEADER;
}

size_t
loc_dns_answer (const loc_dns_config_t *config, const uint8_t *query, size_t size,
                uint8_t *reply, size_t reply_max, bool tcp,
                loc_dns_lookup_fn *lookup, void *arg)
{
    if (!query || size < 2 || !reply || reply_max < S_HEADER)
        return 0;
    //  never answer an answer: two servers could echo each other forever
    if (size > 2 && (query [2] & 0x80))
        return 0;
    if (size < S_HEADER)
        return s_answer_short (query, size, reply);

    s_query_t parsed;
    int rcode = s_parse (query, size, &parsed);
    if (rcode == S_NOERROR && parsed.edns && parsed.edns_version > 0)
        rcode = S_BADVERS;

    size_t limit = reply_max < LOC_DNS_TCP_MAX? reply_max: LOC_DNS_TCP_MAX;
    if (!tcp) {
        size_t udp = S_UDP_PLAIN;
        if (parsed.edns && parsed.edns_size > udp)
            udp = parsed.edns_size < LOC_DNS_UDP_MAX? parsed.edns_size: LOC_DNS_UDP_MAX;
        if (limit > udp)
            limit = udp;
    }
    //  an OPT goes back when a valid one came, so room for it is kept
    //  from the start
    bool opt = parsed.edns;

    s_reply_t state = { .query = &parsed };
    s_reply_t *self = &state;
    self->w.buf = reply;
    self->w.limit = opt && limit >= S_HEADER + S_OPT_SIZE? limit - S_OPT_SIZE: limit;
    self->ttl = config && config->ttl < 0x80000000u? config->ttl: 0x7FFFFFFF;
    s_put (&self->w, query, 2);
    s_put (&self->w, "\0\0\0\0\0\0\0\0\0\0", 10);

    bool question = false;
    if (parsed.has_question) {
        s_mark_t mark = s_mark (&self->w);
        s_put (&self->w, query + S_HEADER, parsed.question_end - S_HEADER);
        question = s_commit (&self->w, mark);
        self->truncated = !question;
        //  its labels are compression targets; it has no pointers of its own
        for (const uint8_t *label = query + S_HEADER; question && *label; label += 1 + *label)
            if (self->w.n_names < S_TABLE_MAX)
                self->w.names [self->w.n_names++] = (uint16_t) (label - query);
    }
    if (rcode == S_NOERROR && question) {
        if (!config || !config->domain || !s_name_from_text (config->domain, self->apex))
            rcode = S_SERVFAIL;
        else {
            s_mark_t mark = s_mark (&self->w);
            rcode = s_answer (self, lookup, arg);
            if (self->truncated) {
                s_undo (&self->w, mark);
                memset (self->counts, 0, sizeof self->counts);
            }
        }
    }
    if (opt) {
        self->w.limit = limit;
        s_mark_t mark = s_mark (&self->w);
        s_put8 (&self->w, 0);                   //  the root
        s_put16 (&self->w, S_TYPE_OPT);
        s_put16 (&self->w, LOC_DNS_UDP_MAX);    //  what we accept over UDP
        s_put8 (&self->w, (uint8_t) (rcode >> 4));
        s_put8 (&self->w, 0);                   //  version 0, DO clear: nothing is signed
        s_put16 (&self->w, 0);
        s_put16 (&self->w, 0);                  //  no options
        if (s_commit (&self->w, mark))
            self->counts [S_ADDITIONAL]++;
    }
    reply [2] = (uint8_t) (0x80 | (parsed.flags & 0x79)
              | (self->aa? 0x04: 0)
              | (self->truncated? 0x02: 0));
    reply [3] = (uint8_t) ((parsed.cd? 0x10: 0) | (rcode & 0x0F));
    reply [4] = 0;
    reply [5] = question? 1: 0;
    for (int section = 0; section < 3; section++) {
        reply [6 + 2 * section] = (uint8_t) (self->counts [section] >> 8);
        reply [7 + 2 * section] = (uint8_t) self->counts [section];
    }
    return self->w.len;
}
