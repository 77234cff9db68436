"""A reference department for Jiesu's agency gateway: what a department's IT could start from."""
