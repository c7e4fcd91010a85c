/*  =========================================================================
    miner_tar - reads a tar stream as it comes

    The Docker engine gives a container's files as a tar archive (GET
    /containers/ID/archive); this reads one fed in pieces of any size,
    without holding more than a header, and calls back for each entry and
    for its content. ustar, with the long names of PAX ('x') and GNU ('L',
    'K') headers, as Go's archive/tar writes them.

        miner_tar_t *tar = miner_tar_new (on_entry, on_data, arg);
        ...miner_tar_feed (tar, data, size) as the bytes come...
        if (!miner_tar_ended (tar)) ...cut short...
        miner_tar_destroy (&tar);
    =========================================================================  */
#ifndef MINER_TAR_H_INCLUDED
#define MINER_TAR_H_INCLUDED

typedef struct {
    const char *name;           //  its path in the archive, as written
    char type;                  //  '0' a file, '5' a directory, '2' a symbolic
                                //  link, '1' a hard link, others special
    uint32_t mode;              //  permission bits
    uint64_t size;              //  bytes of content that follow (files)
    const char *link;           //  a link's target, "" otherwise
} miner_tar_entry_t;

//  An entry begins; its content (size bytes) comes next through the data
//  callback, in pieces.
typedef void (miner_tar_entry_fn) (void *arg, const miner_tar_entry_t *entry);
typedef void (miner_tar_data_fn) (void *arg, const byte *data, size_t size);

typedef struct _miner_tar_t miner_tar_t;

miner_tar_t *miner_tar_new (miner_tar_entry_fn *on_entry, miner_tar_data_fn *on_data, void *arg);
void miner_tar_destroy (miner_tar_t **self_p);

//  Reads the next bytes. Returns 0, or -1 once the archive is found
//  malformed (a bad checksum, a bad number, an oversized long name): it
//  reads nothing more then, and miner_tar_error says why.
int miner_tar_feed (miner_tar_t *self, const byte *data, size_t size);

//  True once the archive's end (a zero block) was read.
bool miner_tar_ended (miner_tar_t *self);

//  Why it stopped, "" while all is well.
const char *miner_tar_error (miner_tar_t *self);

#endif
