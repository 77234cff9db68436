"""A district simulator for Jiesu: calibrated to the field studies, seeded, and aware of the truth it plants."""
