"""gapwatch.coverage."""
