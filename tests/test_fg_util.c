/*  test_fg_util - names, endpoints, ids and lists */
#include "test_support.h"

static void
test_names (void)
{
    CU_ASSERT_TRUE (fg_name_valid ("hub"));
    CU_ASSERT_TRUE (fg_name_valid ("echo-2"));
    CU_ASSERT_FALSE (fg_name_valid (""));
    CU_ASSERT_FALSE (fg_name_valid ("-echo"));
    CU_ASSERT_FALSE (fg_name_valid ("echo-"));
    CU_ASSERT_FALSE (fg_name_valid ("Echo"));
    CU_ASSERT_FALSE (fg_name_valid ("a.b"));
    CU_ASSERT_FALSE (fg_name_valid (NULL));
    char longname [80];
    memset (longname, 'a', 64);
    longname [64] = 0;
    CU_ASSERT_FALSE (fg_name_valid (longname));
    longname [63] = 0;
    CU_ASSERT_TRUE (fg_name_valid (longname));
}

static void
test_endpoints (void)
{
    char transport [16], host [256];
    uint16_t port;
    CU_ASSERT_EQUAL (fg_endpoint_parse ("tcp://127.0.0.1:7700", transport, sizeof transport,
                                        host, sizeof host, &port), 0);
    CU_ASSERT_STRING_EQUAL (transport, "tcp");
    CU_ASSERT_STRING_EQUAL (host, "127.0.0.1");
    CU_ASSERT_EQUAL (port, 7700);
    CU_ASSERT_EQUAL (fg_endpoint_parse ("tcp://127.0.0.1", transport, sizeof transport,
                                        host, sizeof host, &port), -1);
    CU_ASSERT_EQUAL (fg_endpoint_parse ("tcp://h:99999", transport, sizeof transport,
                                        host, sizeof host, &port), -1);
    CU_ASSERT_EQUAL (fg_endpoint_parse ("127.0.0.1:80", transport, sizeof transport,
                                        host, sizeof host, &port), -1);
    CU_ASSERT_EQUAL (fg_endpoint_parse ("tcp://:80", transport, sizeof transport,
                                        host, sizeof host, &port), -1);
}

static void
test_ids_and_lists (void)
{
    char a [32], b [32];
    fg_id_new ("t", a, sizeof a);
    fg_id_new ("t", b, sizeof b);
    CU_ASSERT_EQUAL (strlen (a), 14);
    CU_ASSERT_STRING_NOT_EQUAL (a, b);
    zlist_t *list = fg_split_list ("tcp://a:1, tcp://b:2,,");
    CU_ASSERT_EQUAL (zlist_size (list), 2);
    CU_ASSERT_STRING_EQUAL ((char *) zlist_first (list), "tcp://a:1");
    CU_ASSERT_STRING_EQUAL ((char *) zlist_next (list), "tcp://b:2");
    zlist_destroy (&list);
    CU_ASSERT_TRUE (fg_text_valid ("sh -c 'x'", 100));
    CU_ASSERT_FALSE (fg_text_valid ("a\nb", 100));
    CU_ASSERT_FALSE (fg_text_valid ("abcdef", 3));
}

//  Output paths: their plain relative form, and what is never let through
static void
test_paths (void)
{
    char buf [64];
    CU_ASSERT_EQUAL (fg_path_normal ("/out//dir/./a.txt/", 100, buf, sizeof buf), 0);
    CU_ASSERT_STRING_EQUAL (buf, "out/dir/a.txt");
    CU_ASSERT_EQUAL (fg_path_normal ("result.txt", 100, buf, sizeof buf), 0);
    CU_ASSERT_STRING_EQUAL (buf, "result.txt");
    CU_ASSERT_EQUAL (fg_path_normal ("./a/..b/c..", 100, buf, sizeof buf), 0);
    CU_ASSERT_STRING_EQUAL (buf, "a/..b/c..");
    const char *bad [] = { "", "/", ".", "/./", "..", "../x", "a/../b", "/out/..", "a\nb",
                           "tab\there" };
    for (size_t index = 0; index < sizeof bad / sizeof bad [0]; index++)
        CU_ASSERT_EQUAL (fg_path_normal (bad [index], 100, buf, sizeof buf), -1);
    CU_ASSERT_EQUAL (fg_path_normal ("a/b", 2, buf, sizeof buf), -1);          //  over max
    CU_ASSERT_EQUAL (fg_path_normal ("abcdef", 100, buf, 4), -1);              //  no room
    CU_ASSERT_EQUAL (fg_path_normal (NULL, 100, buf, sizeof buf), -1);

    CU_ASSERT_TRUE (fg_path_relative_valid ("out/dir/a.txt", 100));
    CU_ASSERT_TRUE (fg_path_relative_valid ("a", 100));
    const char *unsafe [] = { "/etc/passwd", "a//b", "a/./b", "./a", "a/", "../a", "a/..",
                              "", "a/\x01" };
    for (size_t index = 0; index < sizeof unsafe / sizeof unsafe [0]; index++)
        CU_ASSERT_FALSE (fg_path_relative_valid (unsafe [index], 100));
    CU_ASSERT_FALSE (fg_path_relative_valid (NULL, 100));
    CU_ASSERT_FALSE (fg_path_relative_valid ("abc", 2));
}

static void
test_errors (void)
{
    CU_ASSERT_STRING_EQUAL (fg_strerror (FG_E_HUB_FULL), "hub full");
    CU_ASSERT_STRING_EQUAL (fg_error_name (FG_E_STALE), "FG_E_STALE");
    CU_ASSERT_STRING_EQUAL (fg_strerror (9999), "unknown error");
    CU_ASSERT_STRING_EQUAL (fg_strerror (-1), "unknown error");
}

void
test_fg_util_add (void)
{
    ts_add_suite ("fg_util",
        "service names", test_names,
        "endpoint parsing", test_endpoints,
        "ids and lists", test_ids_and_lists,
        "output paths: plain relative form, no escape", test_paths,
        "error texts", test_errors,
        NULL);
}
