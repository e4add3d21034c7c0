"""gapwatch: finds and closes the blind spots of a camera network."""

__version__ = "0.1.0"
