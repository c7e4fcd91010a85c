/*  test_fg_http - the HTTP server of every daemon, its JSON strings */
#include "test_support.h"

//  A route whose error quotes what was asked
static void
s_say (void *arg, fg_http_request_t *request)
{
    (void) arg;
    char text [300];
    snprintf (text, sizeof text, "cannot say '%.200s'", fg_http_rest (request));
    fg_http_reply_error (request, 400, text);
}

static const fg_http_route_t s_routes [] = {
    { "/healthz", false, fg_http_ok },
    { "/say/", true, s_say },
    { NULL, false, NULL }
};

//  Serves args (an fg_http_t) from its own loop, as a daemon's actor does
static void
s_server_actor (zsock_t *pipe, void *args)
{
    fg_http_t *http = (fg_http_t *) args;
    zsock_signal (pipe, 0);
    while (true) {
        zmq_pollitem_t items [65];
        items [0] = (zmq_pollitem_t) { zsock_resolve (pipe), 0, ZMQ_POLLIN, 0 };
        size_t count = 1 + fg_http_items (http, items + 1, 64);
        if (zmq_poll (items, (int) count, 100) < 0)
            break;
        if (items [0].revents & ZMQ_POLLIN) {
            char *command = zstr_recv (pipe);
            bool done = !command || streq (command, "$TERM");
            zstr_free (&command);
            if (done)
                break;
        }
        fg_http_handle (http);
    }
}

//  GET of path; returns the status (0: no answer), the error text in err
static int
s_get (int port, const char *path, char *err, size_t err_size)
{
    char url [300];
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s", port, path);
    err [0] = 0;
    if (fg_http_get (url, 2000, "test", NULL, err, err_size) == 0)
        return 200;
    const char *status = strstr (err, ": HTTP ");
    return status? atoi (status + 7): 0;
}

//  A 404 or any error quotes the request as it came, which need not be
//  UTF-8: it is still the error asked for, not a 500 (JSON strings are
//  UTF-8, and an error text that is not used to make the answer fail)
static void
test_errors_quote_any_bytes (void)
{
    char err [512];
    fg_http_t *http = fg_http_new ("127.0.0.1:0", s_routes, NULL, err, sizeof err);
    CU_ASSERT_PTR_NOT_NULL_FATAL (http);
    int port = fg_http_port (http);
    zactor_t *server = zactor_new (s_server_actor, http);

    CU_ASSERT_EQUAL (s_get (port, "/healthz", err, sizeof err), 200);
    CU_ASSERT_EQUAL (s_get (port, "/nowhere", err, sizeof err), 404);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "no such path: /nowhere"));
    //  %ff and a character cut short: each byte shows as '?'
    CU_ASSERT_EQUAL (s_get (port, "/nowhere/%ff%c3", err, sizeof err), 404);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "no such path: /nowhere/??"));
    CU_ASSERT_EQUAL (s_get (port, "/say/hello", err, sizeof err), 400);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "cannot say 'hello'"));
    CU_ASSERT_EQUAL (s_get (port, "/say/%c0%af_%ed%a0%80", err, sizeof err), 400);
    CU_ASSERT_PTR_NOT_NULL (strstr (err, "cannot say '??_???" "'"));    //  no trigraph
    //  ... and the server goes on serving
    CU_ASSERT_EQUAL (s_get (port, "/healthz", err, sizeof err), 200);
    CU_ASSERT_EQUAL (fg_http_requests (http), 6);

    zactor_destroy (&server);
    fg_http_destroy (&http);
}

static void
s_expect_string (const char *text, const char *expected)
{
    json_t *string = fg_http_json_string (text);
    CU_ASSERT_PTR_NOT_NULL_FATAL (string);
    CU_ASSERT_STRING_EQUAL (json_string_value (string), expected);
    json_decref (string);
}

static void
test_json_string (void)
{
    s_expect_string ("", "");
    s_expect_string ("plain ascii\t\x01", "plain ascii\t\x01");
    //  UTF-8 stays as it is: 2, 3 and 4 bytes, the highest code point
    s_expect_string ("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf",
                     "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf");
    //  Other bytes are '?', one each
    s_expect_string ("\xff\xfe", "??");
    s_expect_string ("ab\xc3", "ab?");                          //  cut short
    s_expect_string ("\xc3\x28", "?(");                         //  no continuation
    s_expect_string ("\x80 lone", "? lone");                    //  continuation first
    s_expect_string ("\xc0\xaf \xe0\x80\xaf", "?? ???");        //  overlong
    s_expect_string ("\xed\xa0\x80", "???");                    //  a surrogate
    s_expect_string ("\xf4\x90\x80\x80", "????");               //  past U+10FFFF
    s_expect_string ("\xf8\x88\x80\x80\x80", "?????");          //  five bytes
    s_expect_string ("ok \xe2\x82 \xe2\x82\xac", "ok ?? \xe2\x82\xac");
}

void
test_fg_http_add (void)
{
    ts_add_suite ("fg_http",
        "errors quote any bytes of the request, with their own status", test_errors_quote_any_bytes,
        "JSON strings of any bytes", test_json_string,
        NULL);
}
