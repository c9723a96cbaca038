"""Shared test set-up: a seeded hypothesis profile, so every run draws the same examples.

HYPOTHESIS_PROFILE=thorough runs many more examples (for a long local run)."""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("symgrad", derandomize=True, deadline=None, max_examples=100,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", derandomize=True, deadline=None, max_examples=2000,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "symgrad"))
