/*  =========================================================================
    fuzz_tar - libFuzzer target for the tar reader and the output files

    A container's files come to the miner as the engine's tar archive of
    them, and the names and sizes in it are the task's to choose. Any
    bytes, fed in two pieces cut anywhere, must be read or refused
    without a crash, a hang or a leak; the entries the miner would keep
    must have plain relative paths, and their contents must stay within
    the bound, whatever the archive claims.
    =========================================================================  */
#include "fogrid.h"
#include "miner_tar.h"
#include "miner_outputs.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

#define S_BOUND 4096

typedef struct {
    miner_outputs_t *outputs;
} s_state_t;

static void
s_entry (void *arg, const miner_tar_entry_t *entry)
{
    miner_outputs_tar_entry (((s_state_t *) arg)->outputs, entry->type, entry->name,
                             entry->mode, entry->size, entry->link);
}

static void
s_data (void *arg, const byte *data, size_t size)
{
    miner_outputs_feed (((s_state_t *) arg)->outputs, data, size);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    s_state_t state = { miner_outputs_new (S_BOUND) };
    miner_tar_t *tar = miner_tar_new (s_entry, s_data, &state);
    size_t cut = size? data [0] % (size + 1): 0;
    miner_outputs_begin (state.outputs, "out");
    if (miner_tar_feed (tar, data, cut) == 0)
        miner_tar_feed (tar, data + cut, size - cut);
    if (miner_outputs_full (state.outputs))
        miner_outputs_left_out (state.outputs);
    miner_outputs_end (state.outputs);

    Fogrid__TaskResult result = FOGRID__TASK_RESULT__INIT;
    miner_outputs_fill (state.outputs, &result);
    size_t content = 0;
    for (size_t index = 0; index < result.n_files; index++) {
        Fogrid__OutputFile *file = result.files [index];
        if (!fg_path_relative_valid (file->path, MINER_OUTPUTS_MAX_PATH))
            abort ();
        if (file->content.len > file->size && !file->dir)
            abort ();
        content += file->content.len;
    }
    if (content > S_BOUND)
        abort ();
    //  It must encode, and stay within the bound but for the uncharged
    //  notes (one output's, a cut file's reason)
    size_t packed = fogrid__task_result__get_packed_size (&result);
    if (packed > S_BOUND + 512)
        abort ();
    byte *buffer = (byte *) malloc (packed + 1);
    if (fogrid__task_result__pack (&result, buffer) != packed)
        abort ();
    free (buffer);
    miner_tar_destroy (&tar);
    miner_outputs_destroy (&state.outputs);
    return 0;
}
