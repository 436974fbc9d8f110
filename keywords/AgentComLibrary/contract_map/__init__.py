"""The contract's clause map: every clause of the wire contract with an id
(``docs/contract/clauses.toml``), the tests that carry ``contract:<id>`` tags, the check
that every clause is covered or deliberately untested, and the coverage page of a run."""
