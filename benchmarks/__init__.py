"""Speed and memory benchmarks: numbers against a named peer, not pass/fail timings."""
