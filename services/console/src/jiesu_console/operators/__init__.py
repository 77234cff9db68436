"""The hotline operators' screens: record a call, triage, the call-back desk."""
