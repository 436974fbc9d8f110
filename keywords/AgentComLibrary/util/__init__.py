"""Small helpers with no knowledge of hubs or Robot: time, masking, waiting, text tables,
processes, errors and the named choices keywords take."""
