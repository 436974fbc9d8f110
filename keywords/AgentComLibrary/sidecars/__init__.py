"""Real sidecar processes as agents (Robot-free): checkout checks, instance copies, the wake
command, log reading and the process itself."""
