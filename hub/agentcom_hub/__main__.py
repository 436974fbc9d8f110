"""``python -m agentcom_hub`` (how the library starts the embedded hub)."""

import logging
import os
import sys

from .cli import main

code = main()
# By now the hub has closed its store, its sockets and its server: end without the
# interpreter's teardown of asyncio and aiohttp (50-100 ms), so that whoever stops the hub
# (the library, at the end of every run) waits only for the hub itself.
logging.shutdown()
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
