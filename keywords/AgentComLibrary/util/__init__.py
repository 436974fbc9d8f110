"""Small helpers the whole library shares: time, masking, the one way to wait (worded as
Robot words durations), plain-text tables of tasks for failure messages, the one process
helper, the error roots and the named choices keywords take."""
