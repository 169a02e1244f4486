"""A TCP proxy that can play a database that went down, for the fault-injection tests.

    python tcp_proxy.py LISTEN_HOST LISTEN_PORT UPSTREAM [CONTROL_SOCKET]

UPSTREAM is host:port or a unix socket path (PostgreSQL's /var/run/postgresql/.s.PGSQL.5432).
"cut" closes the listening socket (new connections are refused) and shuts every open connection;
"restore" listens again on the same port. Send either as a line to CONTROL_SOCKET (a unix socket:
the proxy answers "ok" once it is done), or send the proxy SIGUSR1 (cut) / SIGUSR2 (restore).
"""

import os
import selectors
import signal
import socket
import sys
import threading


class Proxy:
    def __init__(self, host, port, upstream):
        self.address, self.upstream = (host, port), upstream
        self.lock = threading.RLock()  # reentrant: a signal handler may run while the main thread holds it
        self.listener = None
        self.connections = set()

    def restore(self):
        with self.lock:
            if self.listener is None:
                self.listener = socket.create_server(self.address, backlog=64)  # SO_REUSEADDR: TIME_WAITs
                threading.Thread(target=self.accept, args=(self.listener,), daemon=True).start()

    def cut(self):
        with self.lock:
            listener, self.listener = self.listener, None
            for sock in [listener, *self.connections]:
                if sock is not None:
                    try:
                        sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked on it; that thread closes it
                    except OSError:
                        pass

    def connect_upstream(self):
        if "/" in self.upstream:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(self.upstream)
            return sock
        host, port = self.upstream.rsplit(":", 1)
        return socket.create_connection((host, int(port)))

    def accept(self, listener):
        with listener:
            while True:
                try:
                    client, _ = listener.accept()
                except OSError:
                    if self.listener is not listener:
                        return  # cut
                    continue
                try:
                    server = self.connect_upstream()
                except OSError:
                    client.close()  # the upstream refused: so does the proxy
                    continue
                with self.lock:
                    if self.listener is not listener:  # cut while this one was being set up
                        client.close()
                        server.close()
                        return
                    self.connections.update((client, server))
                threading.Thread(target=self.relay, args=(client, server), daemon=True).start()

    def relay(self, client, server):
        with selectors.DefaultSelector() as selector:
            selector.register(client, selectors.EVENT_READ, server)
            selector.register(server, selectors.EVENT_READ, client)
            try:
                while True:
                    for key, _ in selector.select():
                        data = key.fileobj.recv(65536)
                        if not data:
                            return
                        key.data.sendall(data)
            except OSError:
                pass
            finally:
                with self.lock:
                    self.connections.difference_update((client, server))
                client.close()
                server.close()


def serve_control(proxy, path):
    commands = {"cut": proxy.cut, "restore": proxy.restore}
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as control:
        control.bind(path)
        control.listen()
        while True:
            conn, _ = control.accept()
            with conn, conn.makefile("rw") as stream:
                command = stream.readline().strip()
                if command in commands:
                    commands[command]()
                stream.write("ok\n" if command in commands else f"unknown command {command!r}\n")


def main(host, port, upstream, control_path=None):
    proxy = Proxy(host, int(port), upstream)
    signal.signal(signal.SIGUSR1, lambda *_: proxy.cut())
    signal.signal(signal.SIGUSR2, lambda *_: proxy.restore())
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    proxy.restore()
    print(f"proxy {host}:{port} -> {upstream} (pid {os.getpid()})", flush=True)
    if control_path:
        serve_control(proxy, control_path)
    while True:
        signal.pause()


if __name__ == "__main__":
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    main(*sys.argv[1:])
