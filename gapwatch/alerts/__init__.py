"""gapwatch.alerts."""
