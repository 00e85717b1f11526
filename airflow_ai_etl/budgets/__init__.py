"""Budgets and rate limits per user and per model, counted in Redis so every process shares them."""
