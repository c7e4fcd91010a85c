/*  =========================================================================
    cli_registry - the hub registry's commands of the `fogrid` command
    line: `fogrid registry` (anyone) and `fogrid admin registry` (the DAO)

    The registry is kept by each locator (locator/loc_hubs.h) and shared
    between locators that name each other in locator/peers. A list asks
    the first locator that answers; a change is signed with the signing
    key beside the command line's key pair (NAME.sign for NAME.key:
    fg_signkey.h, fg_hub_record.h) and sent to every locator listed (-l),
    and says how each answered.
    =========================================================================  */
#ifndef CLI_REGISTRY_H_INCLUDED
#define CLI_REGISTRY_H_INCLUDED

//  `fogrid registry [--hub HUB_ID]`; argv [0] is "registry". Returns the
//  exit status: 0 done, 1 no locator answered, 2 bad usage.
int cli_registry_list (const char *locators, int timeout_ms, int argc, char **argv);

//  `fogrid admin registry ACTION HUB_ID [options]`; argv [0] is
//  "registry"; keys is the command line's key pair file (security/keys,
//  "" = ~/.fogrid/buyer.key). Returns 0 when every locator took the
//  change, 1 when any refused it or did not answer or there is no
//  signing key, 2 for bad usage.
int cli_registry_admin (const char *keys, const char *locators, int timeout_ms, int argc,
                        char **argv);

#endif
