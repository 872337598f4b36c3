#!/usr/bin/env python3
"""A slowloris crowd for benches/slowloris.sh: CONNECTIONS connections to HOST:PORT, each
sending a request head one byte every INTERVAL seconds and never finishing it; a connection
the server closes is opened again at once, so the crowd stays at full size. Runs DURATION
seconds (bounded), then closes everything and prints one line of JSON: how many connections
were opened, how many the server closed, and how long those lived (seconds: min, median,
max)."""

import argparse
import asyncio
import json
import statistics
import time

HEAD = b"GET / HTTP/1.1\r\nHost: slowloris\r\nX-Slow: "


async def one(host, port, interval, deadline, stats):
    while time.monotonic() < deadline:
        start = time.monotonic()
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            stats["connect_errors"] += 1
            await asyncio.sleep(0.1)
            continue
        stats["opened"] += 1
        closed = False
        try:
            writer.write(HEAD[:1])
            await writer.drain()
            sent = 1
            while time.monotonic() < deadline:
                try:
                    data = await asyncio.wait_for(reader.read(1024), interval)
                    # b"" is the server closing; anything else an answer we never asked for.
                    closed = True
                    if data:
                        stats["answered"] += 1
                    break
                except asyncio.TimeoutError:
                    pass
                writer.write(HEAD[sent:sent + 1] if sent < len(HEAD) else b"a")
                sent += 1
                await writer.drain()
        except (ConnectionError, OSError):
            closed = True
        finally:
            writer.close()
        if closed:
            stats["closed"] += 1
            stats["lifetimes"].append(time.monotonic() - start)


async def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--connections", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--duration", type=float, default=30.0)
    args = parser.parse_args()
    stats = {"opened": 0, "closed": 0, "answered": 0, "connect_errors": 0, "lifetimes": []}
    deadline = time.monotonic() + min(args.duration, 600.0)
    tasks = []
    for _ in range(args.connections):
        tasks.append(asyncio.create_task(one(args.host, args.port, args.interval, deadline, stats)))
        # Open the crowd over about a second rather than in one burst.
        await asyncio.sleep(1.0 / args.connections)
    await asyncio.wait(tasks, timeout=args.duration + 10)
    for task in tasks:
        task.cancel()
    lifetimes = sorted(stats.pop("lifetimes"))
    if lifetimes:
        stats["lifetime_s"] = {
            "min": round(lifetimes[0], 2),
            "median": round(statistics.median(lifetimes), 2),
            "max": round(lifetimes[-1], 2),
        }
    print(json.dumps(stats))


if __name__ == "__main__":
    asyncio.run(main())
