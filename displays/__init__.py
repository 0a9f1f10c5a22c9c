"""Wall displays and counter screens (/display/{hall}): built by issue 4."""
