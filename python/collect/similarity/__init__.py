"""z-scoring, exclusion and cosine similarity tables (method.md section 3)."""
