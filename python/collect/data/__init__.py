"""Data sources, importers and the project's canonical tables."""
