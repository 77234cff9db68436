"""What if: replay a period of the log's history under another routing table (`python -m jiesu_dispatch whatif`)."""
