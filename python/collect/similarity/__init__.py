"""z-scoring, exclusion and cosine similarity tables (docs/methods.md section 3)."""
