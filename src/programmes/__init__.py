"""programmes: Rucksack KiTa cohorts, trainings and info events for an integration office."""

__version__ = "0.1.0"
