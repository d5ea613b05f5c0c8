"""Synthetic demo data: `jeugdhulp generate` calls `generate_landing` (see orchestration/generator)."""

from orchestration.generator.defects import ALLOCATION_DEFECTS, DECLARATION_DEFECTS
from orchestration.generator.landing import GenerateSummary, generate_landing

__all__ = ["ALLOCATION_DEFECTS", "DECLARATION_DEFECTS", "GenerateSummary", "generate_landing"]
