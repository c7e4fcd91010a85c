/*  =========================================================================
    bench_ceiling - a bare ZeroMQ broker doing fogrid's dispatch pattern

    client DEALER -> broker ROUTER | broker ROUTER -> worker DEALERs, and
    the results back the same way; the broker picks workers round-robin.
    Nothing is stored, matched or validated: this is as fast as the
    pattern can go over TCP loopback with these message sizes.
    =========================================================================  */
#include "bench.h"

typedef struct {
    int front_port;
    int back_port;
    size_t assign_size;
    size_t result_size;
} s_ports_t;

static void
s_broker (zsock_t *pipe, void *args)
{
    s_ports_t *ports = (s_ports_t *) args;
    zsock_t *front = zsock_new (ZMQ_ROUTER);
    zsock_t *back = zsock_new (ZMQ_ROUTER);
    zsock_set_sndhwm (front, 0);
    zsock_set_rcvhwm (front, 0);
    zsock_set_sndhwm (back, 0);
    zsock_set_rcvhwm (back, 0);
    ports->front_port = zsock_bind (front, "tcp://127.0.0.1:*");
    ports->back_port = zsock_bind (back, "tcp://127.0.0.1:*");
    zlistx_t *workers = zlistx_new ();      //  routing ids, round-robin
    zlistx_set_destructor (workers, (zlistx_destructor_fn *) zframe_destroy);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, front, back, NULL);
    byte *assign = (byte *) zmalloc (ports->assign_size);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which == front) {
            //  [client][request] -> [worker][client][assign]
            zmsg_t *msg = zmsg_recv (front);
            zframe_t *client = zmsg_pop (msg);
            zframe_t *worker = (zframe_t *) zlistx_next (workers);
            if (!worker)
                worker = (zframe_t *) zlistx_first (workers);
            zmsg_t *out = zmsg_new ();
            zmsg_append (out, &(zframe_t *) { zframe_dup (worker) });
            zmsg_append (out, &client);
            //  The task's index travels in the first bytes, as its id would
            zframe_t *request = zmsg_first (msg);
            if (request && zframe_size (request) >= sizeof (int))
                memcpy (assign, zframe_data (request), sizeof (int));
            zmsg_addmem (out, assign, ports->assign_size);
            zmsg_send (&out, back);
            zmsg_destroy (&msg);
        }
        else
        if (which == back) {
            //  [worker]["READY"] or [worker][client][result] -> [client][result]
            zmsg_t *msg = zmsg_recv (back);
            zframe_t *worker = zmsg_pop (msg);
            if (zmsg_size (msg) == 1) {
                zlistx_add_end (workers, worker);
                zmsg_destroy (&msg);
                continue;
            }
            zframe_destroy (&worker);
            zmsg_send (&msg, front);
        }
        else
            break;
    }
    free (assign);
    zpoller_destroy (&poller);
    zlistx_destroy (&workers);
    zsock_destroy (&front);
    zsock_destroy (&back);
}

static void
s_worker (zsock_t *pipe, void *args)
{
    s_ports_t *ports = (s_ports_t *) args;
    zsock_t *sock = zsock_new (ZMQ_DEALER);
    zsock_set_sndhwm (sock, 0);
    zsock_set_rcvhwm (sock, 0);
    zsock_connect (sock, "tcp://127.0.0.1:%d", ports->back_port);
    zstr_send (sock, "READY");
    zsock_signal (pipe, 0);
    byte *result = (byte *) zmalloc (ports->result_size);
    zpoller_t *poller = zpoller_new (pipe, sock, NULL);
    while (zpoller_wait (poller, -1) == sock) {
        zmsg_t *msg = zmsg_recv (sock);         //  [client][assign]
        zframe_t *client = zmsg_pop (msg);
        zframe_t *assign = zmsg_first (msg);
        if (assign && zframe_size (assign) >= sizeof (int))
            memcpy (result, zframe_data (assign), sizeof (int));
        zmsg_destroy (&msg);
        zmsg_t *out = zmsg_new ();
        zmsg_append (out, &client);
        zmsg_addmem (out, result, ports->result_size);
        zmsg_send (&out, sock);
    }
    free (result);
    zpoller_destroy (&poller);
    zsock_destroy (&sock);
}

void
bench_ceiling (const bench_params_t *params, bench_result_t *result)
{
    s_ports_t ports = { 0, 0, params->assign_size, params->result_size };
    zactor_t *broker = zactor_new (s_broker, &ports);
    zactor_t *workers [16];
    for (int i = 0; i < params->workers; i++)
        workers [i] = zactor_new (s_worker, &ports);
    zclock_sleep (200);         //  let every worker say READY

    zsock_t *client = zsock_new (ZMQ_DEALER);
    zsock_set_sndhwm (client, 0);
    zsock_set_rcvhwm (client, 0);
    zsock_connect (client, "tcp://127.0.0.1:%d", ports.front_port);
    zclock_sleep (50);
    byte *request = (byte *) zmalloc (params->request_size);
    //  Pipelined as fogrid's client is: tasks are submitted without
    //  waiting for results; each request carries its index
    for (int i = 0; i < params->tasks; i++) {
        memcpy (request, &i, sizeof i);
        result->submitted_us [i] = bench_now_us ();
        zmq_send (zsock_resolve (client), request, params->request_size, 0);
    }
    zsock_set_rcvtimeo (client, 5000);
    while (result->done < params->tasks) {
        zframe_t *frame = zframe_recv (client);
        if (!frame)
            break;
        int index = -1;
        if (zframe_size (frame) >= sizeof (int))
            memcpy (&index, zframe_data (frame), sizeof (int));
        if (index >= 0 && index < params->tasks) {
            result->completed_us [index] = bench_now_us ();
            result->done++;
        }
        zframe_destroy (&frame);
    }
    snprintf (result->note, sizeof result->note,
              "one process, broker and workers as threads over TCP loopback");
    free (request);
    zsock_destroy (&client);
    for (int i = 0; i < params->workers; i++)
        zactor_destroy (&workers [i]);
    zactor_destroy (&broker);
}
