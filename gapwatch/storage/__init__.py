"""gapwatch.storage."""
