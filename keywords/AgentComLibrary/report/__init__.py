"""What a test's log shows (Robot-free): summary facts, HTML tables, SVG charts, and the
rebot modifier that puts each summary first."""
