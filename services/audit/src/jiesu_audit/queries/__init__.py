"""The figures of `/analytics/*`, each a query over the read-model tables (SQLite or PostgreSQL)."""
