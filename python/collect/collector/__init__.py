"""Collect LLM answers to survey items from provider APIs (docs/methods.md section 1)."""
