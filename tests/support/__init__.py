"""What tests/ and bench/ share: databases made for a test session (``databases``), server
subprocesses and ``free_port`` (``servers``), and the notification sink (``sink``)."""
