-- wrk script for benches/load.sh: after the run, print one machine-readable line with the
-- exact numbers (latency in microseconds) so the shell does not parse wrk's rounded units.
done = function(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "PXY_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d " ..
      "connect=%d read=%d write=%d timeout=%d status=%d\n",
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(99),
      e.connect, e.read, e.write, e.timeout, e.status))
end
