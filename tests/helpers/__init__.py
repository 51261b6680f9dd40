"""Set-up and waits shared by the test modules."""
