"""gapwatch.runtime."""
