# SPDX-License-Identifier: MIT
"""The agent's endpoint under hostile clients, and its push back-off
while stopping. Attackers connect from other loopback addresses
(127.0.0.2...) than the honest scraper (127.0.0.1), as they would from
other hosts, so the per-client budget is what is tested."""
import http.server
import os
import signal
import socket
import threading
import time
import urllib.error
import urllib.request

from lib import (LEAKSCOPE, check, eq, read_until, run, spawn, workload)
from test_agent import Agent, free_port

PER_CLIENT = 8   # src/agent/http_server.c: connections per client address


def connect_from(addr, port):
    s = socket.socket()
    s.bind((addr, 0))
    s.connect(("127.0.0.1", port))
    return s


def still_open(s):
    """The server has not closed s (no EOF, no reset)."""
    s.setblocking(False)
    try:
        data = s.recv(1)
        return data != b""
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        s.setblocking(True)


def get(port, path, source="127.0.0.1", timeout=20):
    """(status, body) of GET path, from a chosen source address."""
    s = connect_from(source, port)
    s.settimeout(timeout)
    try:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    if not data:
        return None, b""
    return int(data.split(b" ", 2)[1]), data.split(b"\r\n\r\n", 1)[-1]


def test_slowloris_huge_headers_floods_and_garbage_leave_metrics_answering():
    fx = spawn([workload("native_leaks"), "--hold"])
    read_until(fx, "leaked")
    agent = Agent("--pid", str(fx.pid), name="hardening")
    port = agent.port
    agent.wait_value("leakscope_agent_tracked_processes", lambda v: v == 1)
    # slowloris: 64 connections from one address trickling header lines
    slow = [connect_from("127.0.0.2", port) for _ in range(64)]
    for s in slow:
        try:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        except OSError:
            pass
    time.sleep(1.0)
    stop = threading.Event()

    def trickle():
        while not stop.wait(2.0):   # inside the 10 s idle timeout
            for s in slow:
                try:
                    s.sendall(b"X-Slow: 1\r\n")
                except OSError:
                    pass
    t = threading.Thread(target=trickle)
    t.start()
    try:
        code, body = get(port, "/metrics")
        eq(code, 200, "/metrics answers while 64 slow clients trickle headers")
        check(b"leakscope_agent_tracked_processes 1" in body, "and its body is whole")
        held = sum(still_open(s) for s in slow)
        eq(held, PER_CLIENT, "connections one slow client address holds")
    finally:
        stop.set()
        t.join()
        for s in slow:
            s.close()
    # an idle client is let go (it sent nothing for the idle timeout)
    idle = connect_from("127.0.0.3", port)
    deadline = time.time() + 30
    while time.time() < deadline and still_open(idle):
        time.sleep(0.5)
    check(not still_open(idle), "an idle connection is closed by the server")
    idle.close()
    # huge headers: refused, the server stays up
    big = connect_from("127.0.0.4", port)
    try:
        big.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (1 << 20) + b"\r\n\r\n")
    except OSError:
        pass   # closed on us mid-way: refused
    big.settimeout(20)
    try:
        answer = big.recv(4096)
    except OSError:
        answer = b""
    big.close()
    check(answer == b"" or answer.split(b" ", 2)[1] in (b"413", b"431", b"400"),
          f"a 1 MiB header is refused: {answer[:80]!r}")
    # many at once, from many addresses
    results = []

    def one(i):
        try:
            results.append(get(port, "/metrics", source=f"127.0.1.{i % 250 + 1}")[0])
        except OSError as e:
            results.append(repr(e))
    threads = [threading.Thread(target=one, args=(i,)) for i in range(200)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    eq(sorted(set(map(str, results))), ["200"], "200 parallel scrapes all answered")
    # paths and queries of every kind of garbage
    pid = fx.pid
    for path, want in (("/debug/pprof/fd?pid=abc", 404), ("/debug/pprof/fd?pid=-1", 404),
                       ("/debug/pprof/fd?pid=", 404), (f"/debug/pprof/fd?pid={pid}%00", 404),
                       (f"/debug/pprof/fd?pid={pid + (1 << 32)}", 404),
                       (f"/debug/pprof/fd?pid={pid + (1 << 64)}", 404),
                       ("/debug/pprof/fd?pid=1", 404),   # not traced
                       ("/debug/pprof/../../etc/passwd", 404), ("/debug/pprof/heap%2f..", 404),
                       ("/debug/pprof/nosuchkind", 404), ("/%00%ff", 404),
                       (f"/debug/pprof/fd?pid={pid}", 200)):
        eq(get(port, path)[0], want, f"GET {path}")
    code, _ = get(port, "/metrics?" + "a=b&" * 20000)
    check(code in (None, 200, 414, 431), f"a 80 KB query: {code}")
    eq(get(port, "/metrics")[0], 200, "still answering after all of it")
    agent.stop()
    fx.terminate()


def test_listening_beyond_loopback_is_said():
    code, out, _ = run([LEAKSCOPE, "agent", "--help"])
    check("default 127.0.0.1:9465" in out, "loopback by default")
    # threshold 0: nothing loaded, only the endpoint
    agent = Agent("--probabilistic-threshold", "0", name="listen-any")
    agent.stop()
    check("listening beyond this host" not in agent.text(), "no warning on loopback")
    port = free_port()
    p = spawn([LEAKSCOPE, "agent", "--probabilistic-threshold", "0", "--listen",
               f"0.0.0.0:{port}"])
    deadline = time.time() + 30
    err = ""
    while time.time() < deadline and "agent started" not in err:
        err += p.stderr.readline()
    p.send_signal(signal.SIGTERM)
    _, rest = p.communicate(timeout=60)
    check("listening beyond this host" in err + rest,
          f"binding 0.0.0.0 is said: {(err + rest)[-800:]}")


class Failing503:
    """An /ingest that always answers 503, counting requests and when."""

    def __init__(self):
        self.port = free_port()
        self.times = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                owner.times.append(time.monotonic())
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def backoff_requests_bound(base_s, max_s, window_s):
    """Most requests a back-off of base_s doubling to max_s allows within
    window_s, whatever attempt it starts from (the shortest waits first)."""
    n, spent, wait = 1, 0.0, base_s
    while spent + wait <= window_s:
        spent += wait
        n += 1
        wait = min(wait * 2, max_s)
    return n


def test_push_backoff_holds_while_stopping():
    recv = Failing503()
    fx = spawn([workload("native_leaks"), "--hold"])
    read_until(fx, "leaked")
    try:
        agent = Agent("--pid", str(fx.pid), "--push-url", f"http://127.0.0.1:{recv.port}",
                      "--push-interval", "500ms", "--push-backoff-max", "2s",
                      "--shutdown-timeout", "6s", name="push-503")
        deadline = time.time() + 30
        while len(recv.times) < 3 and time.time() < deadline:
            time.sleep(0.1)
        check(len(recv.times) >= 3, "failing pushes are retried")
        stop_at = time.monotonic()
        agent.stop()
        during = [t for t in recv.times if t >= stop_at]
        bound = backoff_requests_bound(0.25, 2.0, 6.0)
        check(len(during) <= bound, f"{len(during)} requests while stopping (6 s), at most "
              f"{bound} under the back-off (a storm sent tens of thousands)")
    finally:
        recv.stop()
        fx.terminate()
