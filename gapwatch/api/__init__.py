"""gapwatch.api."""
