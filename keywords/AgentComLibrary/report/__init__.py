"""What a test's log shows (Robot-free): the per-test summary, the task ledger as a table,
the inline styles they share, SVG charts, and the rebot modifier that puts each summary first."""
