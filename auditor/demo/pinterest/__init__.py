"""pinterest."""
