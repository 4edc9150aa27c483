"""Exchange with the connected systems: exports up, delivery, and the targets they go to."""
