"""Real sidecar processes as agents (Robot-free), one module per job.

| module | job |
| ``checkout`` | before a start: Node.js found and new enough, ``npm install`` done |
| ``instance`` | an instance's directory: the copy of the checkout, config.json, token masking |
| ``wake`` | the wake command the sidecar runs per task (``agentcom-wake``) |
| ``watchdog.js`` | preloaded into node: ends the sidecar when the test runner is gone |
| ``logformat`` | the sidecar log's two known shapes, detected per line, and what they say |
| ``hub_records`` | what the hub's records say about a sidecar agent (the authority) |
| ``tail`` | the thread that tails the sidecar's log as it grows |
| ``process`` | the node process itself (on ``util.child_process``) as an agent handle |
| ``sidecar_errors`` | the errors, each with what was expected and seen |
"""
