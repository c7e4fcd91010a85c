/*  =========================================================================
    fg_msg - the versioned envelope on the wire

    Every fogrid message is one ZeroMQ frame holding an encoded Envelope
    (proto/fogrid.proto). This class is the only place that encodes and
    decodes it, checks its version and enforces its size limit, so a
    malformed, oversized or foreign-version message is refused the same way
    on every socket.
    =========================================================================  */
#ifndef FG_MSG_H_INCLUDED
#define FG_MSG_H_INCLUDED

#define FG_PROTO_VERSION 1
#define FG_MSG_MAX_DEFAULT (4 * 1024 * 1024)

//  Sets the size limit of messages received on a socket (max_bytes, 0 for
//  the default). Call once per socket before connect/bind. A message over
//  it is refused as FG_E_TOO_BIG (fg_msg_recv_request answers it); libzmq
//  is given a larger limit (ZMQ_MAXMSGSIZE, twice this) so that such a
//  message arrives to be answered: only one past that drops the peer.
void fg_msg_limit (zsock_t *sock, int64_t max_bytes);

//  The limit fg_msg_limit gave sock (the default if none).
int64_t fg_msg_limit_of (zsock_t *sock);

//  Encodes and sends env. Sets env->version. For ROUTER sockets pass the
//  peer's routing id (not destroyed); for DEALER sockets pass NULL.
//  Returns 0 or -1 (peer gone, would block).
int fg_msg_send (zsock_t *sock, zframe_t *routing_id, fg_env_t *env);

//  The message fg_msg_send would send (routing id copied, env->version
//  set), for a caller that sends it later (fg_outbox). Never NULL.
zmsg_t *fg_msg_encode (zframe_t *routing_id, fg_env_t *env);

//  The Error{code, text} reply to seq, encoded the same way.
zmsg_t *fg_msg_encode_error (zframe_t *routing_id, uint64_t seq, fg_error_t code,
                             const char *text);

//  Receives one message. On success returns the envelope (free it with
//  fg_msg_free). On failure returns NULL and sets *err_p to FG_E_MALFORMED,
//  FG_E_VERSION or FG_E_TOO_BIG and *seq_p to the request's seq when it
//  could be read, so the caller can answer with fg_msg_send_error. For a
//  ROUTER socket pass routing_id_p: it receives the peer's id (the caller
//  destroys it) even when decoding fails. Returns NULL with FG_E_INTERNAL
//  when interrupted.
fg_env_t *fg_msg_recv (zsock_t *sock, zframe_t **routing_id_p,
                       fg_error_t *err_p, uint64_t *seq_p);

//  As fg_msg_recv, and copies the sender's CurveZMQ public key (Z85, the
//  User-Id its ZAP handler gave it) into peer_key (41 bytes), or "" on a
//  plain-text socket.
fg_env_t *fg_msg_recv_from (zsock_t *sock, zframe_t **routing_id_p, char *peer_key,
                            fg_error_t *err_p, uint64_t *seq_p);

//  Decodes one frame's bytes as fg_msg_recv does (size, encoding, version,
//  body); the socket-free core that the fuzzer drives.
fg_env_t *fg_msg_decode (const byte *data, size_t size, fg_error_t *err_p, uint64_t *seq_p);

//  proto3 strings must be UTF-8 (conforming decoders refuse a message
//  that holds one that is not). True when a string field of msg, at any
//  depth, is not; path (if not NULL) receives its name, "spec.argv[1]"
//  (indexes from 0), so a refusal can say which. What a server sends on
//  its ROUTER (fg_msg_encode with a routing id) goes with '?' in place
//  of each bad byte (fg_msg_utf8_clean), so a daemon never sends what
//  others cannot read; a client's request goes as it is, and servers
//  refuse it at the door, naming the field.
bool fg_msg_utf8_find (const ProtobufCMessage *msg, char *path, size_t size);

//  Replaces each byte of text that is not part of valid UTF-8 with '?'.
void fg_msg_utf8_clean (char *text);

//  Frees a received envelope; NULLs the pointer.
void fg_msg_free (fg_env_t **env_p);

//  A server's receive on its ROUTER: the request, with the peer's routing
//  id (*peer_p, the caller destroys it), its CurveZMQ key (key, 41 bytes)
//  and seq; or NULL after answering an undecodable message with its Error
//  and a log line naming who ("locator", "buyer", ...).
fg_env_t *fg_msg_recv_request (zsock_t *router, zframe_t **peer_p, char *key, uint64_t *seq_p,
                               const char *who);

//  The file descriptor of the connection the last message received on
//  this thread came on (its body's "__fd", what ZMQ_SRCFD reads), or -1:
//  so a server can tell which connection a monitor says has closed.
int fg_msg_last_fd (void);

//  Sends Error{code, text} as the reply to seq.
int fg_msg_send_error (zsock_t *sock, zframe_t *routing_id, uint64_t seq,
                       fg_error_t code, const char *format, ...)
    __attribute__ ((format (printf, 5, 6)));

//  Sends Ok{text} as the reply to seq.
int fg_msg_send_ok (zsock_t *sock, zframe_t *routing_id, uint64_t seq, const char *text);

//  Name of the body ("submit", "task_result", ...), for logs.
const char *fg_msg_body_name (const fg_env_t *env);

//  Stats of the process, for /metrics and tests: messages refused by reason.
uint64_t fg_msg_refused (fg_error_t reason);

#endif
