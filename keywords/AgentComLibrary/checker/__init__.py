"""Checkers over what a test saw (Robot-free): the task ledger (submitted vs. acknowledged vs.
completed) and the contract rules judged on the whole history."""
