"""`make bench`: measurements printed as one table and written to bench/results.md (reports, not tests)."""
