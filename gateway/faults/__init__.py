"""Faults a merchant switches on to test its retry and back-off code (Amazon's throttling, ...)."""
