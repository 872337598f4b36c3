#!/usr/bin/env python3
"""Turn the per-round TSV written by benches/load.sh into Markdown tables.

Usage: summarize.py [--mode h1|h2c|h2|tls] ROUNDS_TSV PROXY [PROXY ...]

The first table holds medians per proxy (in the order given) plus ratios relative to
nginx; the second lists every round, so a noisy round is visible rather than hidden.
In tls mode every request is a new connection with a full handshake, so requests are
handshakes, the p50_us column holds the mean time per connection (p99_us is unused), the
socket errors are failed s_time clients and the HTTP errors are estimated from bytes read.
"""
import csv
import statistics
import sys


def fmt_latency(us):
    return f"{us:.0f} µs" if us < 1000 else f"{us / 1000:.2f} ms"


def fmt_ratio(value, base):
    return f"{value / base:.2f}×" if base else "–"


def load_rows(path):
    rows = []
    with open(path, newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            requests = int(r["requests"])
            duration_us = int(r["duration_us"])
            cpu_us = int(r["cpu_us"])
            rows.append({
                "proxy": r["proxy"],
                "round": int(r["round"]),
                "requests": requests,
                "rps": requests * 1e6 / duration_us if duration_us else 0.0,
                "p50": int(r["p50_us"]),
                "p99": int(r["p99_us"]),
                "cpu_per_req": cpu_us / requests if requests else float("inf"),
                "cpu_pct": 100.0 * cpu_us / duration_us if duration_us else 0.0,
                "rss_mib": int(r["rss_kb"]) / 1024,
                "sock_err": int(r["socket_errors"]),
                "http_err": int(r["non_2xx"]),
                "processes": int(r["processes"]),
                "other_pct": int(r["other_busy_pct"]),
            })
    return rows


def main():
    args = sys.argv[1:]
    mode = "h1"
    if args[:1] == ["--mode"] and len(args) >= 2:
        mode, args = args[1], args[2:]
    if len(args) < 2:
        sys.exit(__doc__)
    rows = load_rows(args[0])
    proxies = args[1:]
    if mode == "tls":
        print_tls(rows, proxies)
        return

    med = {}
    for p in proxies:
        rs = [r for r in rows if r["proxy"] == p]
        if not rs:
            continue
        med[p] = {k: statistics.median(r[k] for r in rs)
                  for k in ("rps", "p50", "p99", "cpu_per_req", "cpu_pct", "rss_mib")}
        med[p]["sock_err"] = sum(r["sock_err"] for r in rs)
        med[p]["http_err"] = sum(r["http_err"] for r in rs)
        med[p]["rounds"] = len(rs)

    base = med.get("nginx")
    print("| proxy | req/s | p50 | p99 | CPU µs/req | proxy CPU (% of its core) "
          "| peak RSS | socket errors | HTTP 4xx/5xx | req/s vs nginx | CPU/req vs nginx |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p, m in med.items():
        print(f"| {p} | {m['rps']:,.0f} | {fmt_latency(m['p50'])} | {fmt_latency(m['p99'])} "
              f"| {m['cpu_per_req']:.2f} | {m['cpu_pct']:.0f}% | {m['rss_mib']:.1f} MiB "
              f"| {m['sock_err']} | {m['http_err']} "
              f"| {fmt_ratio(m['rps'], base['rps']) if base else '–'} "
              f"| {fmt_ratio(m['cpu_per_req'], base['cpu_per_req']) if base else '–'} |")
    print()
    print("Errors are totals over all rounds; everything else is the median over rounds. "
          "CPU µs/req counts user+system time of the proxy's processes (nginx: master+worker) "
          "divided by completed requests. When a proxy's CPU is well below 100% of its core, "
          "the origin/load core was the limit and req/s says little about the proxy: compare "
          "CPU per request.")
    print()
    print("Per round:")
    print()
    print("| round | proxy | requests | req/s | p50 | p99 | CPU µs/req | CPU % | peak RSS "
          "| socket errors | HTTP 4xx/5xx | proxy core busy with other work |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['round']} | {r['proxy']} | {r['requests']:,} | {r['rps']:,.0f} "
              f"| {fmt_latency(r['p50'])} | {fmt_latency(r['p99'])} | {r['cpu_per_req']:.2f} "
              f"| {r['cpu_pct']:.0f}% | {r['rss_mib']:.1f} MiB | {r['sock_err']} | {r['http_err']} | {r['other_pct']}% |")


def print_tls(rows, proxies):
    """tls mode: one request per connection, so req/s is handshakes/s."""
    med = {}
    for p in proxies:
        rs = [r for r in rows if r["proxy"] == p]
        if not rs:
            continue
        med[p] = {k: statistics.median(r[k] for r in rs)
                  for k in ("rps", "p50", "cpu_per_req", "cpu_pct", "rss_mib")}
        med[p]["sock_err"] = sum(r["sock_err"] for r in rs)
        med[p]["http_err"] = sum(r["http_err"] for r in rs)

    base = med.get("nginx")
    print("| proxy | handshakes/s | mean time per connection | CPU µs/handshake "
          "| proxy CPU (% of its core) | peak RSS | failed clients | short answers "
          "| handshakes/s vs nginx | CPU/handshake vs nginx |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for p, m in med.items():
        print(f"| {p} | {m['rps']:,.0f} | {fmt_latency(m['p50'])} | {m['cpu_per_req']:.1f} "
              f"| {m['cpu_pct']:.0f}% | {m['rss_mib']:.1f} MiB | {m['sock_err']} | {m['http_err']} "
              f"| {fmt_ratio(m['rps'], base['rps']) if base else '–'} "
              f"| {fmt_ratio(m['cpu_per_req'], base['cpu_per_req']) if base else '–'} |")
    print()
    print("Every connection is one full TLS handshake (no resumption) and one proxied request "
          "(GET / with Connection: close, answered and closed). Errors are totals over all rounds; everything "
          "else is the median over rounds. CPU µs/handshake counts user+system time of the "
          "proxy's processes (nginx: master+worker) divided by connections, so it includes "
          "accepting the connection and proxying its one request. Mean time per connection = "
          "clients × window / connections (connect, handshake, request, answer, close). Failed "
          "clients: s_time processes that stopped on an error (their connections are not "
          "counted); short answers: estimated from bytes read, in units of one 200 answer. "
          "When a proxy's CPU is well below 100% of its core, the client/origin core was the "
          "limit: compare CPU per handshake.")
    print()
    print("Per round:")
    print()
    print("| round | proxy | handshakes | handshakes/s | mean time per connection "
          "| CPU µs/handshake | CPU % | peak RSS | failed clients | short answers "
          "| proxy core busy with other work |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['round']} | {r['proxy']} | {r['requests']:,} | {r['rps']:,.0f} "
              f"| {fmt_latency(r['p50'])} | {r['cpu_per_req']:.1f} | {r['cpu_pct']:.0f}% "
              f"| {r['rss_mib']:.1f} MiB | {r['sock_err']} | {r['http_err']} | {r['other_pct']}% |")


if __name__ == "__main__":
    main()
