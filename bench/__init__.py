"""`make bench`: every stage's benchmark, written to BENCHMARKS.md with the date and machine."""
