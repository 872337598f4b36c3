#!/usr/bin/env python3
"""A real gRPC server and client (grpcio) for proxyc's end-to-end tests.

Messages are raw bytes (gRPC allows any serialization; no protobuf compiler needed). The
service `echo.Echo` has a unary method `Unary` and a bidirectional-streaming method `Chat`;
both echo what they get and end with the trailing metadata `x-echo-trailer: kept`.

    grpc_echo.py server PORT                 serve on 127.0.0.1:PORT (cleartext HTTP/2)
    grpc_echo.py client TARGET CA NAME N     unary call, then N ping-pong messages on Chat,
                                             over TLS trusting CA, verifying NAME; prints JSON
    grpc_echo.py unary TARGET CA NAME        one unary call; prints its status as JSON
"""

import json
import queue
import sys
from concurrent import futures

import grpc

SERVICE = "echo.Echo"
TRAILER = (("x-echo-trailer", "kept"),)


def serve(port):
    def unary(request, context):
        context.set_trailing_metadata(TRAILER)
        return request

    def chat(requests, context):
        for message in requests:
            yield message
        context.set_trailing_metadata(TRAILER)

    handler = grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "Unary": grpc.unary_unary_rpc_method_handler(unary),
            "Chat": grpc.stream_stream_rpc_method_handler(chat),
        },
    )
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    server.add_generic_rpc_handlers((handler,))
    server.add_insecure_port(f"127.0.0.1:{port}")
    server.start()
    print("serving", flush=True)
    server.wait_for_termination()


def channel(target, ca, name):
    with open(ca, "rb") as f:
        creds = grpc.ssl_channel_credentials(f.read())
    options = (("grpc.ssl_target_name_override", name), ("grpc.default_authority", name))
    return grpc.secure_channel(target, creds, options)


def client(target, ca, name, count):
    out = {}
    with channel(target, ca, name) as ch:
        reply, call = ch.unary_unary(f"/{SERVICE}/Unary").with_call(b"ping", timeout=20)
        out["unary"] = reply.decode()
        out["unary_trailers"] = dict(call.trailing_metadata())

        # Ping-pong: each message is sent only once the previous reply arrived, so both
        # directions of the stream are open together.
        messages = [f"message {i} ".encode() * (1 + i % 40) for i in range(count)]
        replied = queue.Queue()

        def requests():
            for message in messages:
                yield message
                replied.get(timeout=20)

        stream = ch.stream_stream(f"/{SERVICE}/Chat")(requests(), timeout=120)
        replies = []
        for reply in stream:
            replies.append(reply)
            replied.put(None)
        out["chat_count"] = len(replies)
        out["chat_equal"] = replies == messages
        out["chat_code"] = stream.code().name
        out["chat_trailers"] = dict(stream.trailing_metadata())
    print(json.dumps(out))


def unary(target, ca, name):
    with channel(target, ca, name) as ch:
        try:
            ch.unary_unary(f"/{SERVICE}/Unary")(b"ping", timeout=20)
            print(json.dumps({"code": "OK"}))
        except grpc.RpcError as e:
            print(json.dumps({"code": e.code().name, "details": e.details()}))


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "server":
        serve(int(args[0]))
    elif mode == "client":
        client(args[0], args[1], args[2], int(args[3]))
    else:
        unary(args[0], args[1], args[2])
