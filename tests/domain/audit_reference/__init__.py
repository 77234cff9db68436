"""The folding implementation of audit's figures (every case's history in memory, tallied at each
question), kept only as the reference the query-based audit is compared with, exactly."""
