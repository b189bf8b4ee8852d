"""The offline eval harness: suites, metrics, runners and reports."""
