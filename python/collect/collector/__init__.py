"""Collect LLM answers to survey items from provider APIs (method.md section 1)."""
