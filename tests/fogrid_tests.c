/*  =========================================================================
    fogrid_tests - the one runner for every CUnit suite

    `fogrid-tests` runs every suite; `fogrid-tests NAME...` runs the named
    ones (ctest runs each on its own). Exits 77 (skipped) when none of the
    named suites is in this build, and non-zero when any test fails:
    CU_basic_run_tests reports success even then, so failures are counted.
    =========================================================================  */
#include "test_support.h"

//  Weak, so a build of some folders only (FOGRID_PARTS) still links
#define SUITE(name) void test_##name##_add (void) __attribute__ ((weak));
#include "suites.h"
#undef SUITE

typedef struct {
    const char *name;
    void (*add) (void);
} s_suite_t;

static const s_suite_t s_suites [] = {
#define SUITE(name) { #name, test_##name##_add },
#include "suites.h"
#undef SUITE
    { NULL, NULL }
};

int
main (int argc, char *argv [])
{
    zsys_init ();
    //  Daemons serve HTTP on fixed loopback ports by default; in tests they
    //  take free ones, so that suites (and a grid on this machine) never
    //  collide. Processes the suites start inherit this; a suite that wants
    //  the port asks the daemon for it.
    setenv ("FOGRID_HUB_HTTP", "127.0.0.1:0", 0);
    setenv ("FOGRID_MINER_HTTP", "127.0.0.1:0", 0);
    if (CU_initialize_registry () != CUE_SUCCESS)
        return 2;
    size_t added = 0;
    for (const s_suite_t *suite = s_suites; suite->name; suite++) {
        bool wanted = argc < 2;
        for (int index = 1; index < argc; index++)
            if (streq (argv [index], suite->name))
                wanted = true;
        if (wanted && suite->add) {
            suite->add ();
            added++;
        }
        else
        if (wanted && argc > 1)
            printf ("fogrid-tests: suite %s is not in this build (FOGRID_PARTS)\n", suite->name);
    }
    for (int index = 1; index < argc; index++) {
        bool known = false;
        for (const s_suite_t *suite = s_suites; suite->name; suite++)
            known |= streq (argv [index], suite->name);
        if (!known) {
            fprintf (stderr, "fogrid-tests: no suite named '%s'\n", argv [index]);
            CU_cleanup_registry ();
            return 2;
        }
    }
    //  Nothing to run is not a pass: ctest shows it as skipped (77)
    if (added == 0) {
        CU_cleanup_registry ();
        return 77;
    }
    CU_basic_set_mode (CU_BRM_VERBOSE);
    CU_basic_run_tests ();
    unsigned failures = CU_get_number_of_failures ()
                      + CU_get_number_of_suites_failed ();
    CU_cleanup_registry ();
    return failures? 1: 0;
}
