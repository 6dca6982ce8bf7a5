"""google_ads."""
