"""Agent pools: simulated agents served to other machines over Robot Framework's remote
library interface (``server``), and the library-side handle of one such agent
(``remote_agent``)."""
