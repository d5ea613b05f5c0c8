"""Synthetic landing-folder generator (demo and test data for DEFINITIONS §2)."""

from orchestration.generator.landing import GenerateSummary, generate_landing

__all__ = ["GenerateSummary", "generate_landing"]
