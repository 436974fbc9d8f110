"""Load figures (throughput, latency percentiles) and the capacity sweep's steps; Robot-free."""
