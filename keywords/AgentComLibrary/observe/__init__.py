"""What a test saw (Robot-free): the history that agents, probes, pool handles and the hub
client record into, the hub's records collected at the end, and the hub's own log lines.
The checker (``checker/``) judges it and does no I/O."""
