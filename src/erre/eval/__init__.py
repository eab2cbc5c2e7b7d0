"""erre measures itself: retrieval now; answers, abstention and voice as they arrive."""
