/*  =========================================================================
    cli_inputs - the input files of `fogrid submit` (--input, --input-url)

        cli_inputs_t *inputs = cli_inputs_new ();
        if (cli_inputs_add (inputs, "./job", err, sizeof err)) ...;      //  FILE[:NAME]
        if (cli_inputs_add_url (inputs, "http://h/d.bin:data.bin:SHA256", err, sizeof err)) ...;
        cli_inputs_attach (inputs, spec);       //  spec->inputs points into inputs
        ...submit...
        cli_inputs_destroy (&inputs);

    A file goes as itself, its permission bits kept (an executable stays
    one); a directory as every file under it, named NAME/PATH, its
    directories made on the miner. A symbolic link inside a directory is
    refused: it could point anywhere, and the task would get another file
    than the buyer saw. Each carries its SHA-256, which the miner checks.
    =========================================================================  */
#ifndef CLI_INPUTS_H_INCLUDED
#define CLI_INPUTS_H_INCLUDED

//  Above this the submit could not travel (the hub's message bound is
//  4 MiB): larger inputs go by URL
#define CLI_INPUTS_MAX_BYTES    (3 * 1024 * 1024)

typedef struct _cli_inputs_t cli_inputs_t;

cli_inputs_t *cli_inputs_new (void);
void cli_inputs_destroy (cli_inputs_t **self_p);

//  --input FILE[:NAME]: reads FILE (or every file under a directory).
//  0, or -1 with why in err.
int cli_inputs_add (cli_inputs_t *self, const char *arg, char *err, size_t err_size);

//  --input-url URL:NAME:SHA256. 0, or -1 with why in err.
int cli_inputs_add_url (cli_inputs_t *self, const char *arg, char *err, size_t err_size);

//  Points spec's inputs at the ones read (they stay inputs').
void cli_inputs_attach (cli_inputs_t *self, Fogrid__TaskSpec *spec);

#endif
