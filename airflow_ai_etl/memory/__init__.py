"""Embeddings, vector indexes and the memory of approved pipelines (heavy imports stay lazy)."""
