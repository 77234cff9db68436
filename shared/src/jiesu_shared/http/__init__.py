"""HTTP helpers shared by the services' FastAPI entrypoints."""
