"""`ai-etl doctor`: check an installation and say how to fix each problem found."""
