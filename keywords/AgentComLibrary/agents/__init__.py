"""Agents the library drives (Robot-free): simulated agents, raw protocol probes, and the
handle protocol and journal types they share."""
