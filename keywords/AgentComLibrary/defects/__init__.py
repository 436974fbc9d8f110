"""Known defects of a hub: the user's file of them, matching a test's failure against
them, and what a run saw of them (docs/known-defects.md)."""
