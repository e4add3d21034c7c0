"""gapwatch.vision."""
