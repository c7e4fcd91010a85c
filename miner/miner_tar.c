/*  =========================================================================
    miner_tar - reads a tar stream as it comes

    DESIGN
    A tar archive is a run of 512-byte blocks: a header, then the entry's
    content padded to a whole block, then the next header; a zero block
    ends it. The reader is a small state machine over the bytes fed, so
    the engine's answer never has to be held whole:

        state      reads                       then
        -----      -----                       ----
        header     512 bytes                   content (an entry's), long name, pad
                                               or end (a zero block)
        content    size bytes, to the caller   pad
        long name  size bytes, kept            pad (the name waits for the next header)
        pad        up to the block's end       header
        end        nothing more                -

    A PAX header ('x') carries records "LEN KEY=VALUE\n" for the entry
    after it (path, linkpath, size); a GNU one ('L' name, 'K' link) the
    name itself. Both are bounded (S_MAX_LONG): a name longer than any
    path a buyer could be given is a malformed archive, not a reason to
    allocate. Every header's checksum is checked, so bytes that are not
    an archive stop the reading instead of being taken for entries.
    =========================================================================  */
#include "fogrid.h"
#include "miner_tar.h"

#define S_BLOCK         512
#define S_MAX_LONG      65536       //  a PAX or GNU long header's content

typedef enum {
    S_HEADER = 1, S_CONTENT, S_LONG, S_PAD, S_END, S_BROKEN
} s_state_t;

struct _miner_tar_t {
    miner_tar_entry_fn *on_entry;   //  an entry begins
    miner_tar_data_fn *on_data;     //  its content
    void *arg;                  //  for both
    s_state_t state;            //  see the table above
    byte block [S_BLOCK];       //  the header being read
    size_t block_got;           //  bytes of it so far
    uint64_t left;              //  content or long-header bytes still to come
    uint64_t pad;               //  pad bytes still to skip
    char long_type;             //  the long header being read: 'x', 'L' or 'K'
    char *long_data;            //  its content
    size_t long_size;           //  bytes of it
    char *next_name;            //  from a PAX or GNU header, for the next entry
    char *next_link;
    int64_t next_size;          //  from a PAX header, -1 = none
    char error [200];           //  why it stopped
};

miner_tar_t *
miner_tar_new (miner_tar_entry_fn *on_entry, miner_tar_data_fn *on_data, void *arg)
{
    miner_tar_t *self = (miner_tar_t *) zmalloc (sizeof (miner_tar_t));
    self->on_entry = on_entry;
    self->on_data = on_data;
    self->arg = arg;
    self->state = S_HEADER;
    self->next_size = -1;
    return self;
}

void
miner_tar_destroy (miner_tar_t **self_p)
{
    if (*self_p) {
        miner_tar_t *self = *self_p;
        free (self->long_data);
        free (self->next_name);
        free (self->next_link);
        free (self);
        *self_p = NULL;
    }
}

static int
s_broken (miner_tar_t *self, const char *why)
{
    snprintf (self->error, sizeof self->error, "not a valid tar archive: %s", why);
    self->state = S_BROKEN;
    return -1;
}

//  A numeric field: octal digits (with spaces or NULs around them), or
//  base-256 when its first byte has the high bit (sizes over 8 GB).
static int
s_number (const byte *field, size_t size, uint64_t *value)
{
    *value = 0;
    if (field [0] & 0x80) {
        if (field [0] != 0x80)
            return -1;          //  negative, or too large to mean anything
        for (size_t index = 1; index < size; index++) {
            if (*value >> 56)
                return -1;
            *value = (*value << 8) | field [index];
        }
        return 0;
    }
    size_t index = 0;
    while (index < size && field [index] == ' ')
        index++;
    for (; index < size && field [index] >= '0' && field [index] <= '7'; index++) {
        if (*value >> 60)
            return -1;
        *value = (*value << 3) | (uint64_t) (field [index] - '0');
    }
    for (; index < size; index++)
        if (field [index] != ' ' && field [index] != 0)
            return -1;
    return 0;
}

//  A NUL-terminated copy of a fixed-size text field.
static void
s_field (const byte *field, size_t size, char *buf)
{
    size_t len = 0;
    while (len < size && field [len])
        len++;
    memcpy (buf, field, len);
    buf [len] = 0;
}

static void
s_take (char **field, const char *value, size_t len)
{
    free (*field);
    *field = strndup (value, len);
}

//  Applies what a long header said to the entry that follows it.
static int
s_long_done (miner_tar_t *self)
{
    if (self->long_type == 'L' || self->long_type == 'K') {
        size_t len = strnlen (self->long_data, self->long_size);
        s_take (self->long_type == 'L'? &self->next_name: &self->next_link, self->long_data, len);
        return 0;
    }
    //  PAX: "LEN KEY=VALUE\n" records, LEN counting the whole record
    size_t at = 0;
    while (at < self->long_size) {
        const char *record = self->long_data + at;
        size_t room = self->long_size - at;
        size_t len = 0, digits = 0;
        while (digits < room && record [digits] >= '0' && record [digits] <= '9') {
            len = len * 10 + (size_t) (record [digits] - '0');
            if (len > S_MAX_LONG)
                return s_broken (self, "a PAX record is too long");
            digits++;
        }
        if (digits == 0 || digits >= room || record [digits] != ' ' || len <= digits + 1
        ||  len > room || record [len - 1] != '\n')
            return s_broken (self, "a PAX record is malformed");
        const char *key = record + digits + 1;
        const char *equals = memchr (key, '=', (size_t) (record + len - 1 - key));
        if (!equals)
            return s_broken (self, "a PAX record has no '='");
        size_t key_len = (size_t) (equals - key);
        const char *value = equals + 1;
        size_t value_len = (size_t) (record + len - 1 - value);
        if (key_len == 4 && memcmp (key, "path", 4) == 0)
            s_take (&self->next_name, value, value_len);
        else
        if (key_len == 8 && memcmp (key, "linkpath", 8) == 0)
            s_take (&self->next_link, value, value_len);
        else
        if (key_len == 4 && memcmp (key, "size", 4) == 0) {
            char number [32];
            uint64_t size = 0;
            bool valid = value_len > 0 && value_len < sizeof number;
            for (size_t index = 0; valid && index < value_len; index++) {
                valid = value [index] >= '0' && value [index] <= '9' && !(size >> 59);
                if (valid)
                    size = size * 10 + (uint64_t) (value [index] - '0');
            }
            if (!valid || size > INT64_MAX)
                return s_broken (self, "a PAX size is not a number");
            self->next_size = (int64_t) size;
        }
        at += len;
    }
    return 0;
}

//  A whole header is in self->block.
static int
s_header (miner_tar_t *self)
{
    const byte *block = self->block;
    bool zero = true;
    for (size_t index = 0; index < S_BLOCK && zero; index++)
        zero = block [index] == 0;
    if (zero) {
        self->state = S_END;
        return 0;
    }
    uint64_t checksum, sum = 0;
    if (s_number (block + 148, 8, &checksum))
        return s_broken (self, "a header's checksum is not a number");
    for (size_t index = 0; index < S_BLOCK; index++)
        sum += index >= 148 && index < 156? ' ': block [index];
    if (sum != checksum)
        return s_broken (self, "a header's checksum does not match");
    uint64_t size, mode;
    if (s_number (block + 124, 12, &size) || s_number (block + 100, 8, &mode))
        return s_broken (self, "a header's size or mode is not a number");
    char type = block [156]? (char) block [156]: '0';
    if (type == 'x' || type == 'L' || type == 'K') {
        if (size > S_MAX_LONG)
            return s_broken (self, "a long name header is over 64 KB");
        self->long_type = type;
        free (self->long_data);
        self->long_data = (char *) zmalloc ((size_t) size + 1);
        self->long_size = 0;
        self->left = size;
        self->pad = (S_BLOCK - size % S_BLOCK) % S_BLOCK;
        self->state = self->left? S_LONG: S_PAD;
        if (!self->left)
            return s_long_done (self);
        return 0;
    }
    if (self->next_size >= 0)
        size = (uint64_t) self->next_size;
    //  Headers of other kinds ('g' global PAX, ...) carry no entry
    bool entry = type != 'g';
    if (entry) {
        char name [S_BLOCK] = "", link [101];
        if (!self->next_name) {
            char base [101], prefix [156];
            s_field (block, 100, base);
            s_field (block + 345, 155, prefix);
            //  ustar: a prefix is the name's start
            bool ustar = memcmp (block + 257, "ustar", 5) == 0;
            snprintf (name, sizeof name, "%s%s%s", ustar? prefix: "",
                      ustar && *prefix? "/": "", base);
        }
        s_field (block + 157, 100, link);
        miner_tar_entry_t tar_entry = {
            .name = self->next_name? self->next_name: name,
            .type = type,
            .mode = (uint32_t) (mode & 07777),
            .size = type == '5' || type == '2' || type == '1'? 0: size,
            .link = self->next_link? self->next_link: link
        };
        //  Links and directories carry no content, whatever size says
        //  (a hard link's size is its target's in some writers)
        if (type == '5' || type == '2' || type == '1')
            size = 0;
        if (self->on_entry)
            self->on_entry (self->arg, &tar_entry);
    }
    zstr_free (&self->next_name);
    zstr_free (&self->next_link);
    self->next_size = -1;
    self->left = size;
    self->pad = (S_BLOCK - size % S_BLOCK) % S_BLOCK;
    self->state = self->left? S_CONTENT: S_PAD;
    return 0;
}

int
miner_tar_feed (miner_tar_t *self, const byte *data, size_t size)
{
    while (size && self->state != S_BROKEN && self->state != S_END) {
        if (self->state == S_HEADER) {
            size_t take = S_BLOCK - self->block_got;
            if (take > size)
                take = size;
            memcpy (self->block + self->block_got, data, take);
            self->block_got += take;
            data += take;
            size -= take;
            if (self->block_got == S_BLOCK) {
                self->block_got = 0;
                if (s_header (self))
                    return -1;
            }
            continue;
        }
        if (self->state == S_PAD && self->pad == 0) {
            self->state = S_HEADER;
            continue;
        }
        uint64_t want = self->state == S_PAD? self->pad: self->left;
        size_t take = want < size? (size_t) want: size;
        if (self->state == S_CONTENT) {
            if (self->on_data)
                self->on_data (self->arg, data, take);
            self->left -= take;
        }
        else
        if (self->state == S_LONG) {
            memcpy (self->long_data + self->long_size, data, take);
            self->long_size += take;
            self->left -= take;
        }
        else
            self->pad -= take;
        data += take;
        size -= take;
        if (self->state != S_PAD && self->left == 0) {
            bool long_header = self->state == S_LONG;
            self->state = S_PAD;
            if (long_header && s_long_done (self))
                return -1;
        }
    }
    return self->state == S_BROKEN? -1: 0;
}

bool
miner_tar_ended (miner_tar_t *self)
{
    return self->state == S_END;
}

const char *
miner_tar_error (miner_tar_t *self)
{
    return self->error;
}
