"""The hub, seen from the test side (Robot-free): the HTTP client, the typed task model
parsed from its answers, and the launcher of the embedded reference hub."""
