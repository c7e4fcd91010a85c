/*  =========================================================================
    fuzz_config - libFuzzer target for the config loader

    Config files come from operators, and mistakes must give a clear error:
    any text is loaded over a table with every kind of setting; the loader
    accepts or refuses it, and what it accepts prints back as ZPL that
    loads to the same values.
    =========================================================================  */
#include "fogrid.h"
#include <unistd.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static const fg_cfg_def_t s_defs [] = {
    { "server/endpoint", FG_CFG_STR, "tcp://*:7700", 0, 0, "an endpoint" },
    { "server/ttl_ms", FG_CFG_INT, "5000", 100, 3600000, "a bounded number" },
    { "server/max", FG_CFG_INT, "0", INT64_MIN, INT64_MAX, "any number" },
    { "server/verbose", FG_CFG_BOOL, "0", 0, 0, "a switch" },
    { "other/name", FG_CFG_STR, "", 0, 0, "a name" },
    FG_SECURITY_DEFS,
    { NULL, FG_CFG_STR, NULL, 0, 0, NULL }
};

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    static bool quiet = false;
    if (!quiet) {
        zsys_set_logstream (NULL);      //  zconfig reports bad lines: not wanted here
        quiet = true;
    }
    fg_config_t *config = fg_config_new (s_defs);
    if (fg_config_load_text (config, (const char *) data, size, "fuzz") == 0) {
        //  What was accepted prints and loads back to the same values
        char *text = NULL;
        size_t length = 0;
        FILE *out = open_memstream (&text, &length);
        fg_config_print (config, out, true);
        fclose (out);
        fg_config_t *again = fg_config_new (s_defs);
        if (fg_config_load_text (again, text, length, "printed") != 0)
            __builtin_trap ();
        for (const fg_cfg_def_t *def = s_defs; def->path; def++)
            if (!streq (fg_config_str (config, def->path), fg_config_str (again, def->path)))
                __builtin_trap ();
        fg_config_destroy (&again);
        free (text);
    }
    else
    if (!*fg_config_error (config))
        __builtin_trap ();          //  a refusal always says why
    fg_config_destroy (&config);
    return 0;
}
