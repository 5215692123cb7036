"""Real venue adapters: pure message translation plus a thin connection edge."""
